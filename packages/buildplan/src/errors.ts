/** Stable error codes of @kli8nt/buildplan; callers match on `code`, never on the message. */
export type BuildPlanErrorCode =
  | "STACK_UNDETECTED"
  | "REPO_UNREADABLE"
  | "DOCKERFILE_PROVIDED"
  /** The start command (Procfile, settings) names something the built image will not hold. */
  | "START_UNRUNNABLE";

/**
 * A typed build-plan error. Shaped like core's Kli8ntError (`code`, `cause`, safe `details`) so the API's
 * problem+json mapping treats it the same way; defined here because buildplan stays dependency-light.
 */
export class BuildPlanError extends Error {
  readonly code: BuildPlanErrorCode;
  readonly details: Record<string, unknown>;

  constructor(
    code: BuildPlanErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "BuildPlanError";
    this.code = code;
    this.details = details;
  }
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
