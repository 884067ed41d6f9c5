import { ApiError } from "./api/client.ts";

/** What to do about an error, by its stable code (or status when the code is one we do not know). */
const BY_CODE: Readonly<Record<string, string>> = {
  NETWORK: "Start Kli8nt again (npm start) or check your connection, then retry.",
  UNAUTHENTICATED: "Sign in again.",
  SESSION_EXPIRED: "Sign in again: sessions last a week.",
  TOKEN_INVALID: "Sign in again.",
  SIGN_IN_LINK_INVALID: "Restart Kli8nt (npm start) to print a new sign-in link, then open it once.",
  INPUT_INVALID: "Correct the fields marked below and submit again.",
  REPOSITORY_URL_INVALID: "Use the repository's https URL, as shown by GitHub's Code button.",
  APP_NAME_TAKEN: "Pick another name: each name is one subdomain.",
  APP_NOT_FOUND: "It may have been deleted. Go back to your apps.",
  ROUTE_NOT_FOUND: "This server does not offer that yet; update Kli8nt or use the API.",
  GITHUB_NOT_CONNECTED: "Connect your GitHub account, or paste the repository's URL instead.",
  GITHUB_RECONNECT_REQUIRED: "Reconnect GitHub: your access was revoked or has expired.",
  GITHUB_NOT_CONFIGURED: "Use the sign-in link Kli8nt printed when it started, or paste repository URLs.",
  GITHUB_RATE_LIMITED: "Wait until GitHub's rate limit resets, then try again.",
  GITHUB_UNAVAILABLE: "GitHub is unreachable; try again in a few minutes.",
  GITHUB_NOT_FOUND: "Check the owner and name, and that your GitHub account can see the repository.",
  REPOSITORY_UNREACHABLE:
    "Check the repository URL and that your account can read it (connect GitHub for a private repository), then try again.",
  REPOSITORY_EMPTY: "Push a commit to the repository's default branch, or give a branch that has one.",
  ROOT_DIR_NOT_FOUND: "Set the app's root directory to a folder that exists on its branch.",
  DEPLOYMENT_NOT_FOUND: "Reload the page: that deploy no longer exists.",
  PREVIEW_LOGS_NOT_FOUND:
    "Its logs' retention ran out, so they were removed; the list shows the ones still kept.",
  DOMAIN_HOSTNAME_INVALID: "Type the bare hostname, like www.example.com.",
  DOMAIN_RESERVED: "Attach a domain of your own: the platform's hosts already reach the app.",
  DOMAIN_TAKEN: "Remove it from the app that has it first, or ask its owner to.",
  DOMAIN_WILDCARD_ADMIN_ONLY: "Attach each hostname on its own, or ask an administrator.",
  INTERNAL: "Try again. If it keeps failing, the server log has the details.",
};

const BY_STATUS: Readonly<Record<number, string>> = {
  400: "Check what you entered and try again.",
  401: "Sign in again.",
  403: "You are not allowed to do that with this account.",
  404: "It may have been deleted or renamed.",
  409: "Something changed meanwhile: reload the page and try again.",
  413: "Send less at once.",
  429: "Wait a minute, then try again.",
  502: "GitHub or a backing service did not answer; try again shortly.",
  503: "A backing service is not ready; try again shortly.",
};

export interface ShownError {
  readonly title: string;
  readonly detail: string;
  readonly hint: string;
  readonly code: string;
}

export function explain(error: unknown): ShownError {
  if (error instanceof ApiError) {
    const hint =
      BY_CODE[error.code] ??
      (error.code.endsWith("_CONFLICT") || error.code.endsWith("_EXISTS") ? BY_STATUS[409] : undefined) ??
      BY_STATUS[error.status] ??
      (error.status >= 500 ? BY_CODE.INTERNAL : "Try again.");
    return {
      title: titleOf(error.status),
      detail: error.detail,
      hint: hint ?? "Try again.",
      code: error.code,
    };
  }
  const detail = error instanceof Error ? error.message : String(error);
  return { title: "Something went wrong", detail, hint: "Reload the page and try again.", code: "CLIENT" };
}

function titleOf(status: number): string {
  if (status === 0) return "Kli8nt is not reachable";
  if (status === 401) return "You are signed out";
  if (status === 404) return "Not found";
  if (status === 409) return "Conflict";
  if (status >= 500) return "The server could not do it";
  return "That did not work";
}

/** Field errors from problem+json `errors[]`, keyed by the path without its `body.` prefix. */
export function fieldErrors(error: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!(error instanceof ApiError)) return out;
  for (const issue of error.errors) out[issue.path.replace(/^body\.?/, "")] ??= issue.message;
  return out;
}
