export { createAddonService, loadAddonsConfig, podmanServerOf } from "./addons/config.ts";
export { buildApi } from "./app.ts";
export { type ApiConfig, loadConfig } from "./config.ts";
export type { ApiDeps } from "./deps.ts";
export { EventHub, type PlatformEvent } from "./events/event-hub.ts";
export * from "./inform/index.ts";
export { createLogger } from "./logger.ts";
export { countReconcileError, observeLogLag } from "./metrics/process-signals.ts";
export { type RunningApi, type StartApiOptions, startApi } from "./server.ts";
