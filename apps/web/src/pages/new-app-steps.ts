import { createApp, deployNow, putEnv } from "../api/endpoints.ts";
import type { EnvVar } from "../api/types.ts";
import { appNameProblem, portProblem, repositoryUrlProblem } from "../validation.ts";

export interface AppDraft {
  readonly name: string;
  readonly url: string;
  readonly branch: string;
  readonly rootDir: string;
  /** As typed; blank means "detect it". */
  readonly port: string;
  readonly vars: readonly EnvVar[];
  readonly deploy: boolean;
}

/**
 * Create, then save variables, then queue the first deploy. `alreadyCreated` skips the first step on a
 * retry after a later one failed, which would otherwise be APP_NAME_TAKEN.
 */
export async function runCreateSteps(
  draft: AppDraft,
  alreadyCreated: boolean,
  onStep: (label: string) => void,
  onCreated: () => void,
): Promise<void> {
  // A blank branch is left out: the api then follows the repository's own default branch.
  const branch = draft.branch.trim();
  const repository = {
    url: draft.url.trim(),
    ...(branch ? { branch } : {}),
    rootDir: draft.rootDir.trim() || ".",
  };
  if (!alreadyCreated) {
    onStep("Creating the app…");
    const input = { name: draft.name, repository };
    await createApp(draft.port.trim() ? { ...input, port: Number(draft.port) } : input);
    onCreated();
  }
  if (draft.vars.length > 0) {
    onStep("Saving variables…");
    await putEnv(draft.name, draft.vars);
  }
  if (draft.deploy) {
    onStep("Queueing the first deploy…");
    await deployNow(draft.name);
  }
}

export interface FormState {
  /** The GitHub picker is shown and nothing is picked yet. */
  readonly needsPick: boolean;
  readonly url: string;
  readonly branch: string;
  readonly name: string;
  /** A name the api answered APP_NAME_TAKEN for. */
  readonly taken: string | null;
  readonly port: string;
}

/**
 * `local`: what the form knows by itself, which blocks a submit. `problems`: those, else what the api said
 * (problem+json `errors[]` by field path), shown until the next submit.
 */
export function formProblems(form: FormState, server: Readonly<Record<string, string>>) {
  const local = {
    url: form.needsPick ? "pick a repository" : repositoryUrlProblem(form.url),
    branch: null,
    name: appNameProblem(form.name) ?? (form.name === form.taken ? "this name is taken" : null),
    port: portProblem(form.port),
  };
  const problems = {
    url: local.url ?? server["repository.url"],
    branch: local.branch ?? server["repository.branch"],
    rootDir: server["repository.rootDir"],
    name: local.name ?? server.name,
    port: local.port ?? server.port,
  };
  return { local, problems };
}
