export { buildApi } from "./app.ts";
export { type ApiConfig, ConfigError, loadConfig } from "./config.ts";
export type { ApiDeps } from "./deps.ts";
export * from "./inform/index.ts";
export { createLogger } from "./logger.ts";
export { startApi } from "./server.ts";
