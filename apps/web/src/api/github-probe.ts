export type GitHubSignIn = "available" | "missing";

let cached: Promise<GitHubSignIn> | null = null;

/**
 * Whether this server offers GitHub sign-in: /auth/github redirects (an opaque answer to a manual-redirect
 * fetch) when it does, and answers 404 GITHUB_NOT_CONFIGURED when it does not. Asked once per page load.
 */
export function probeGitHubSignIn(): Promise<GitHubSignIn> {
  cached ??= fetch("/auth/github", { method: "HEAD", redirect: "manual", credentials: "same-origin" }).then(
    (response) => (response.status === 404 ? "missing" : "available"),
    () => "available",
  );
  return cached;
}
