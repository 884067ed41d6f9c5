export * from "./app-spec.ts";
export * from "./conditions.ts";
export * from "./deployment-state.ts";
export type * from "./domain.ts";
export { refusedEnvKeyReason } from "./env-key-policy.ts";
export * from "./errors.ts";
export * from "./ids.ts";
export * from "./messages.ts";
export * from "./work-queue.ts";
