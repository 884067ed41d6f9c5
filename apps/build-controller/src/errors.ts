import { isKli8ntError, Kli8ntError } from "@kli8nt/core";

/** Why a build failed, as a stable code; the message is what the user reads on the deployment. */
export type BuildErrorCode =
  | "REPO_CLONE_FAILED"
  | "REPO_NOT_ALLOWED"
  | "STACK_UNDETECTED"
  | "BUILD_FAILED"
  | "BUILD_TIMEOUT"
  | "BUILD_UNSUPPORTED";

/**
 * A failure of the user's build (bad repo, undetectable stack, failing RUN step): it fails the deployment
 * with a reason instead of being retried. Anything else thrown by a build is an infrastructure error and the
 * message is redelivered.
 */
export class BuildError extends Kli8ntError {
  constructor(code: BuildErrorCode, message: string, options: { cause?: unknown } = {}) {
    super("terminal", code, message, options);
  }
}

const CODES: ReadonlySet<string> = new Set<BuildErrorCode>([
  "REPO_CLONE_FAILED",
  "REPO_NOT_ALLOWED",
  "STACK_UNDETECTED",
  "BUILD_FAILED",
  "BUILD_TIMEOUT",
  "BUILD_UNSUPPORTED",
]);

/** A failure of the user's build, told by its code (a BuildPlanError STACK_UNDETECTED counts too). */
export function isBuildError(error: unknown): error is BuildError {
  return isKli8ntError(error) && CODES.has(error.code);
}
