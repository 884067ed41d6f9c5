/** What Kli8nt acts on in a `pull_request` delivery (ADR 0200). */
export interface PullRequestChange {
  action: string;
  number: number;
  title: string;
  /** The pull request's page on GitHub. */
  url: string;
  /** The base repository (where the hook is) and the branch the pull request goes into. */
  repoFullName: string;
  baseBranch: string;
  /** Where the head commit lives: a fork's full name and clone URL when `fork`. */
  headRepoFullName: string;
  headCloneUrl: string;
  headRef: string;
  headSha: string;
  fork: boolean;
  labels: string[];
  /** For `labeled`/`unlabeled`: the label added or removed. */
  label?: string;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === "object" && v !== null ? (v as Json) : {});
const str = (v: unknown): string => (typeof v === "string" ? v : "");

/** The parts of a `pull_request` payload Kli8nt needs, or undefined when it is not one it can act on. */
export function pullRequestChange(payload: unknown): PullRequestChange | undefined {
  const p = obj(payload);
  const pr = obj(p.pull_request);
  const base = obj(pr.base);
  const head = obj(pr.head);
  const baseRepo = obj(p.repository);
  const headRepo = obj(head.repo);
  const number = typeof p.number === "number" ? p.number : pr.number;
  const sha = str(head.sha);
  if (typeof number !== "number" || !Number.isSafeInteger(number) || number <= 0) return undefined;
  if (!/^[0-9a-f]{40}$/.test(sha) || !str(baseRepo.full_name) || !str(headRepo.full_name)) return undefined;
  const labels = Array.isArray(pr.labels) ? pr.labels.map((l) => str(obj(l).name)).filter(Boolean) : [];
  const label = str(obj(p.label).name);
  return {
    action: str(p.action),
    number,
    title: str(pr.title),
    url: str(pr.html_url),
    repoFullName: str(baseRepo.full_name),
    baseBranch: str(base.ref),
    headRepoFullName: str(headRepo.full_name),
    headCloneUrl: str(headRepo.clone_url),
    headRef: str(head.ref),
    headSha: sha,
    fork:
      headRepo.fork === true ||
      str(headRepo.full_name).toLowerCase() !== str(baseRepo.full_name).toLowerCase(),
    labels,
    ...(label ? { label } : {}),
  };
}
