import { api } from "./client.ts";
import type {
  App,
  AppPage,
  BuildPlan,
  Deployment,
  DeploymentPage,
  EnvVar,
  GitHubRepo,
  RepoPage,
  User,
} from "./types.ts";

const app = (name: string) => `/api/apps/${encodeURIComponent(name)}`;

export const getMe = () => api<User>("GET", "/api/me");
export const signOut = () => api<void>("POST", "/api/auth/logout");

export function listApps(cursor?: string, limit = 50): Promise<AppPage> {
  const query = new URLSearchParams({ limit: String(limit) });
  if (cursor) query.set("cursor", cursor);
  return api<AppPage>("GET", `/api/apps?${query}`);
}

export interface AppInput {
  readonly name: string;
  readonly repository: {
    readonly url: string;
    /** Absent: the api resolves the repository's own default branch. */
    readonly branch?: string;
    readonly rootDir: string;
  };
  readonly port?: number;
}

export const createApp = (input: AppInput) => api<App>("POST", "/api/apps", input);
export const getApp = (name: string, signal?: AbortSignal) => api<App>("GET", app(name), undefined, signal);
export const deleteApp = (name: string) => api<void>("DELETE", app(name));

export interface AppPatch {
  readonly repository?: Partial<AppInput["repository"]>;
  readonly port?: number | null;
  /** A value sets, null clears, absent keeps. */
  readonly buildSettings?: Readonly<Record<string, string | null>>;
}
export const patchApp = (name: string, patch: AppPatch) => api<App>("PATCH", app(name), patch);

export const getEnv = (name: string) => api<{ vars: EnvVar[] }>("GET", `${app(name)}/env`);
export const putEnv = (name: string, vars: readonly EnvVar[]) =>
  api<{ vars: EnvVar[] }>("PUT", `${app(name)}/env`, { vars });

export function listDeployments(
  name: string,
  before?: number,
  signal?: AbortSignal,
): Promise<DeploymentPage> {
  const query = new URLSearchParams({ limit: "20" });
  if (before !== undefined) query.set("before", String(before));
  return api<DeploymentPage>("GET", `${app(name)}/deployments?${query}`, undefined, signal);
}

export const deployNow = (name: string) => api<Deployment>("POST", `${app(name)}/deployments`, {});
export const rollback = (name: string, deploymentId: string) =>
  api<Deployment>("POST", `${app(name)}/rollback`, { deploymentId });

/** The plan `kli8nt plan` would detect for the app's repository, branch and root directory. */
export const getPlan = (name: string) => api<BuildPlan>("GET", `${app(name)}/plan`);

/** One line of history, to learn whether the logs api exists before opening a WebSocket. */
export const probeLogs = (name: string) => api<unknown>("GET", `${app(name)}/logs?tail=1`);

export async function searchRepos(query: string, page: number, signal?: AbortSignal): Promise<RepoPage> {
  const params = new URLSearchParams({ query, page: String(page) });
  const raw = await api<unknown>("GET", `/api/github/repos?${params}`, undefined, signal);
  return toRepoPage(raw, page);
}

export async function listBranches(fullName: string, signal?: AbortSignal): Promise<string[]> {
  const [owner = "", repo = ""] = fullName.split("/");
  const path = `/api/github/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/branches`;
  const raw = await api<unknown>("GET", path, undefined, signal);
  return itemsOf(raw).map((b) => (typeof b === "string" ? b : String(field(b, "name") ?? "")));
}

type Loose = Record<string, unknown>;

function itemsOf(raw: unknown): unknown[] {
  if (Array.isArray(raw)) return raw;
  const items = (raw as Loose | null)?.items;
  return Array.isArray(items) ? items : [];
}

function field(item: unknown, ...names: string[]): unknown {
  for (const name of names) {
    const value = (item as Loose | null)?.[name];
    if (value !== undefined && value !== null) return value;
  }
  return undefined;
}

// The GitHub routes are being written alongside this UI: accept camelCase or GitHub's snake_case.
function toRepoPage(raw: unknown, page: number): RepoPage {
  const items: GitHubRepo[] = itemsOf(raw).map((r) => ({
    fullName: String(field(r, "fullName", "full_name") ?? ""),
    private: field(r, "private") === true || field(r, "visibility") === "private",
    defaultBranch: String(field(r, "defaultBranch", "default_branch") ?? "main"),
    cloneUrl: String(field(r, "cloneUrl", "clone_url", "htmlUrl", "html_url", "url") ?? ""),
    description: (field(r, "description") as string | undefined) ?? null,
  }));
  const next = field(raw, "nextPage", "next_page");
  const hasMore = field(raw, "hasMore", "has_more");
  const nextPage = typeof next === "number" ? next : hasMore === true ? page + 1 : null;
  return { items, nextPage };
}
