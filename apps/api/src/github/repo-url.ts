/** A repository on the configured GitHub host, named the way the REST API names it. */
export interface GitHubRepoRef {
  readonly owner: string;
  readonly repo: string;
  /** `owner/repo` in lower case: GitHub names are case-insensitive. */
  readonly fullName: string;
}

/**
 * Reads `owner/repo` out of a repository URL when it lives on the GitHub web host Kli8nt is configured
 * for (`https://github.com/o/r`, `…/o/r.git`, an Enterprise host); any other URL is not a GitHub repo.
 */
export function parseGitHubRepoUrl(webUrl: string, url: string): GitHubRepoRef | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  const base = new URL(webUrl);
  if (parsed.protocol !== base.protocol || parsed.host.toLowerCase() !== base.host.toLowerCase()) return null;
  const basePath = base.pathname.replace(/\/+$/, "");
  if (!parsed.pathname.startsWith(`${basePath}/`)) return null;
  const segments = parsed.pathname.slice(basePath.length).split("/").filter(Boolean);
  if (segments.length !== 2) return null;
  const owner = segments[0] ?? "";
  const repo = (segments[1] ?? "").replace(/\.git$/, "");
  if (!/^[A-Za-z0-9-]+$/.test(owner) || !/^[A-Za-z0-9._-]+$/.test(repo)) return null;
  return { owner, repo, fullName: `${owner}/${repo}`.toLowerCase() };
}
