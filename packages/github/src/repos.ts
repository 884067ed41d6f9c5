import type { Octokit } from "@octokit/rest";
import { GitHubError, isGitHubError } from "./github-error.ts";

export interface GitHubRepo {
  id: number;
  owner: string;
  name: string;
  fullName: string;
  private: boolean;
  defaultBranch: string;
  cloneUrl: string;
  htmlUrl: string;
  description: string | null;
  /** Whether the user may create hooks (admin) and deployments (push). */
  permissions: { admin: boolean; push: boolean };
}

export interface Page<T> {
  items: T[];
  /** The next page number, when GitHub's Link header has rel="next". */
  nextPage?: number;
  /** The last page number, when GitHub's Link header has rel="last". */
  lastPage?: number;
}

interface RepoJson {
  id: number;
  name: string;
  full_name: string;
  private: boolean;
  default_branch?: string;
  clone_url?: string;
  html_url: string;
  description: string | null;
  owner: { login: string };
  permissions?: { admin?: boolean; push?: boolean };
}

export function toRepo(r: RepoJson): GitHubRepo {
  return {
    id: r.id,
    owner: r.owner.login,
    name: r.name,
    fullName: r.full_name,
    private: r.private,
    defaultBranch: r.default_branch ?? "main",
    cloneUrl: r.clone_url ?? `${r.html_url}.git`,
    htmlUrl: r.html_url,
    description: r.description,
    permissions: { admin: r.permissions?.admin ?? false, push: r.permissions?.push ?? false },
  };
}

/** Reads `page` numbers for rel="next" and rel="last" out of a GitHub `Link` header. */
export function parseLinkPages(link: string | undefined): { nextPage?: number; lastPage?: number } {
  const pages: { nextPage?: number; lastPage?: number } = {};
  for (const part of (link ?? "").split(",")) {
    const m = /<([^>]+)>;\s*rel="(\w+)"/.exec(part.trim());
    if (!m?.[1]) continue;
    const page = Number(new URL(m[1]).searchParams.get("page"));
    if (!Number.isInteger(page) || page < 1) continue;
    if (m[2] === "next") pages.nextPage = page;
    if (m[2] === "last") pages.lastPage = page;
  }
  return pages;
}

/** One page of the user's repositories, private ones included (needs the `repo` scope). */
export async function listRepos(
  octokit: Octokit,
  opts: { page?: number; perPage?: number } = {},
): Promise<Page<GitHubRepo>> {
  const res = await octokit.rest.repos.listForAuthenticatedUser({
    page: opts.page ?? 1,
    per_page: opts.perPage ?? 30,
    affiliation: "owner,collaborator,organization_member",
    sort: "full_name",
  });
  return { items: res.data.map((r) => toRepo(r as RepoJson)), ...parseLinkPages(res.headers.link) };
}

/**
 * Repositories whose full name contains `query` (case-insensitive). GitHub has no such filter on
 * /user/repos, so this walks the pages (100 at a time, at most `maxPages`) and stops at `limit` matches.
 */
export async function searchRepos(
  octokit: Octokit,
  query: string,
  limit = 30,
  maxPages = 10,
): Promise<GitHubRepo[]> {
  const needle = query.trim().toLowerCase();
  const found: GitHubRepo[] = [];
  let page: number | undefined = 1;
  for (let scanned = 0; page !== undefined && scanned < maxPages && found.length < limit; scanned++) {
    const result: Page<GitHubRepo> = await listRepos(octokit, { page, perPage: 100 });
    found.push(...result.items.filter((r) => r.fullName.toLowerCase().includes(needle)));
    page = result.nextPage;
  }
  return found.slice(0, limit);
}

export interface GitHubBranch {
  name: string;
  sha: string;
}

export async function listBranches(
  octokit: Octokit,
  owner: string,
  repo: string,
  opts: { page?: number; perPage?: number } = {},
): Promise<Page<GitHubBranch>> {
  const res = await octokit.rest.repos.listBranches({
    owner,
    repo,
    page: opts.page ?? 1,
    per_page: opts.perPage ?? 100,
  });
  return {
    items: res.data.map((b) => ({ name: b.name, sha: b.commit.sha })),
    ...parseLinkPages(res.headers.link),
  };
}

export interface ResolvedCommit {
  sha: string;
  message: string;
  authorName: string | null;
  authoredAt: string | null;
  htmlUrl: string;
}

/** Resolves a branch, tag or sha to the commit it names. An unknown ref is GITHUB_NOT_FOUND. */
export async function resolveRef(
  octokit: Octokit,
  owner: string,
  repo: string,
  ref: string,
): Promise<ResolvedCommit> {
  try {
    const { data } = await octokit.rest.repos.getCommit({ owner, repo, ref });
    return {
      sha: data.sha,
      message: data.commit.message,
      authorName: data.commit.author?.name ?? null,
      authoredAt: data.commit.author?.date ?? null,
      htmlUrl: data.html_url,
    };
  } catch (err) {
    // GitHub answers 422 "No commit found for SHA" for a ref that does not exist.
    if (isGitHubError(err, "GITHUB_INVALID_REQUEST")) {
      throw new GitHubError("GITHUB_NOT_FOUND", `No commit for ${ref} in ${owner}/${repo}`, {
        cause: err,
        details: err.details,
      });
    }
    throw err;
  }
}
