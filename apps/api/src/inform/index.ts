export { type ApplyResult, applyProgress } from "./apply-progress.ts";
export { cloneCredentials } from "./clone-credentials.ts";
export { type DeadLetterLogger, failDeadLettered } from "./fail-dead-lettered.ts";
export { type InformConsumerDeps, startInformConsumer } from "./inform-consumer.ts";
export { resumeInFlight } from "./resume-in-flight.ts";
export { createRollback } from "./rollback.ts";
export { rollbackRoutes } from "./rollback-routes.ts";
