export { type ApplyResult, applyProgress } from "./apply-progress.ts";
export { type EmbeddedApi, startEmbeddedApi } from "./embedded-api.ts";
export { startInformConsumer } from "./inform-consumer.ts";
export { resumeInFlight } from "./resume-in-flight.ts";
export { createRollback } from "./rollback.ts";
export { rollbackRoutes } from "./rollback-routes.ts";
