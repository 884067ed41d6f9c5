import { InputError, type Kli8ntError, NotAllowedError, NotFoundError, UnavailableError } from "@kli8nt/core";
import { type GitHubError, isGitHubError } from "@kli8nt/github";

/** GitHub refused the stored token (revoked, expired, refresh refused): only a new sign-in helps. */
export function reconnectRequired(cause?: unknown): Kli8ntError {
  return new NotAllowedError(
    "GITHUB_RECONNECT_REQUIRED",
    "Your GitHub access was revoked or has expired: reconnect GitHub at /auth/github",
    { cause, details: { action: "reconnect-github", reconnectUrl: "/auth/github" } },
  );
}

export function notConnected(): Kli8ntError {
  return new NotAllowedError("GITHUB_NOT_CONNECTED", "Connect your GitHub account at /auth/github first", {
    details: { action: "connect-github", connectUrl: "/auth/github" },
  });
}

function fromGitHubError(err: GitHubError): Kli8ntError {
  const options = { cause: err, details: { ...err.details } };
  switch (err.code) {
    case "GITHUB_UNAUTHORIZED":
    case "GITHUB_OAUTH_REJECTED":
      return reconnectRequired(err);
    case "GITHUB_NOT_FOUND":
      return new NotFoundError(err.code, `${err.message} (or your GitHub account cannot see it)`, options);
    case "GITHUB_FORBIDDEN":
      return new NotAllowedError(err.code, err.message, options);
    case "GITHUB_INVALID_REQUEST":
      return new InputError(err.code, err.message, options);
    case "GITHUB_RATE_LIMITED":
      return new UnavailableError(
        err.code,
        `GitHub's rate limit is spent; try again after ${err.details.resetAt ?? "a while"}`,
        options,
      );
    case "GITHUB_UNAVAILABLE":
      return new UnavailableError(err.code, "GitHub is unreachable right now; try again later", options);
  }
}

/** GitHub failures as Kli8nt errors (rendered as problem+json); anything else is returned unchanged. */
export function toApiError(err: unknown): unknown {
  return isGitHubError(err) ? fromGitHubError(err) : err;
}
