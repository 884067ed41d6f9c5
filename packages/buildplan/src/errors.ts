import { isKli8ntError, Kli8ntError } from "@kli8nt/core";

/** Stable error codes of @kli8nt/buildplan; callers match on `code`, never on the message. */
export type BuildPlanErrorCode =
  | "STACK_UNDETECTED"
  | "REPO_UNREADABLE"
  | "DOCKERFILE_PROVIDED"
  /** The start command (Procfile, settings) names something the built image will not hold. */
  | "START_UNRUNNABLE";

/** A repository Kli8nt cannot plan a build for: retrying cannot fix it (kind `terminal`). */
export class BuildPlanError extends Kli8ntError {
  declare readonly code: BuildPlanErrorCode;

  constructor(
    code: BuildPlanErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    cause?: unknown,
  ) {
    super("terminal", code, message, { cause, details });
  }
}

const CODES: ReadonlySet<string> = new Set<BuildPlanErrorCode>([
  "STACK_UNDETECTED",
  "REPO_UNREADABLE",
  "DOCKERFILE_PROVIDED",
  "START_UNRUNNABLE",
]);

/** A build-plan error, told by its code. */
export function isBuildPlanError(error: unknown): error is BuildPlanError {
  return isKli8ntError(error) && CODES.has(error.code);
}

/** What detection looks for, in the order it looks; reported when nothing matches. */
export const LOOKED_FOR = [
  "Dockerfile",
  "composer.json / index.php (php)",
  "go.mod (go)",
  "pom.xml / build.gradle(.kts) (java)",
  "Cargo.toml (rust)",
  "Gemfile (ruby)",
  "mix.exs (elixir)",
  "deno.json / deno.jsonc (deno)",
  "package.json (node)",
  "requirements.txt / pyproject.toml / Pipfile / setup.py (python)",
  "index.html, public/index.html, dist/index.html, Staticfile (static)",
  "start.sh (shell)",
] as const;
