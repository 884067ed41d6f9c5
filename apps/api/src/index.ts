export { buildApi } from "./app.ts";
export { type ApiConfig, ConfigError, loadConfig } from "./config.ts";
export type { ApiDeps } from "./deps.ts";
export * from "./inform/index.ts";
export { createLogger } from "./logger.ts";
export { type RunningApi, type StartApiOptions, startApi } from "./server.ts";
