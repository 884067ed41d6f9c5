import { LABEL_APP, LABEL_MANAGED_BY, MANAGED_BY, type ManifestApp } from "@kli8nt/manifests";
import type { V1Deployment } from "@kubernetes/client-node";
import type { AppReleaseWithCron } from "./app-release.ts";
import { describeApiError } from "./kube-api.ts";
import type { KubernetesDeployer } from "./kubernetes-deployer.ts";
import { applyCron, gateAutoscale } from "./release-extras.ts";
import { rolloutStatus } from "./rollout-status.ts";
import { sleep } from "./wait-rollout.ts";

/** What the database wants for one app. */
export interface DesiredApp {
  readonly app: ManifestApp;
  /** Its live release, or null (never deployed, or nothing succeeded yet). */
  readonly live: AppReleaseWithCron | null;
  /** A deploy is in flight: its DEPLOY message owns the app's objects, the resync keeps its hands off. */
  readonly deploying: boolean;
  /** The deployment in flight, handed to `resume` so a lost or dead-lettered message cannot strand it. */
  readonly deployingId?: string | null | undefined;
}

export interface ReconcileOptions {
  /** Apps applied at once. */
  readonly concurrency?: number;
  /** Runs one app's work exclusively of its deploys; resolves false to skip it (a deploy got there first). */
  readonly exclusive?: (appName: string, task: () => Promise<void>) => Promise<boolean>;
  /** Wait until every applied Deployment's rollout is complete (or failed), at most this long. */
  readonly observeTimeoutMs?: number;
  readonly pollMs?: number;
  /** Drives a `deploying` deployment on (idempotently) instead of skipping the app: it must end. */
  readonly resume?: (deploymentId: string) => Promise<void>;
}

export interface ReconcileReport {
  readonly applied: string[];
  readonly deleted: string[];
  readonly skipped: string[];
  readonly errors: Array<{ app: string; error: string }>;
  /** Apps whose rollout was observed complete (only when observing). */
  readonly complete: string[];
  /** Apps whose rollout failed, or still progressed when observation ended. */
  readonly pending: string[];
}

const MANAGED = `${LABEL_APP},${LABEL_MANAGED_BY}=${MANAGED_BY}`;

/**
 * Level-triggered convergence: lists the app namespaces that exist (label kli8nt.io/app, our prefix),
 * applies the live release of every desired app (a no-op when nothing changed), deletes the namespaces
 * of apps that no longer exist, and optionally observes the rollouts. Safe to run any number of times.
 */
export async function reconcileAll(
  deployer: KubernetesDeployer,
  desired: readonly DesiredApp[],
  options: ReconcileOptions = {},
): Promise<ReconcileReport> {
  const exclusive =
    options.exclusive ??
    (async (_app: string, task: () => Promise<void>) => {
      await task();
      return true;
    });
  const report: ReconcileReport = {
    applied: [],
    deleted: [],
    skipped: [],
    errors: [],
    complete: [],
    pending: [],
  };
  const generations = new Map<string, number>();
  const wanted = new Set(desired.map((d) => d.app.name));
  const existing = await existingApps(deployer);
  const work: Array<() => Promise<void>> = [];
  for (const d of desired) {
    const task = desiredWork(deployer, d, options.resume, generations, report);
    if (task) work.push(() => guard(report, d.app.name, exclusive, task));
  }
  for (const app of existing) {
    if (wanted.has(app)) continue;
    work.push(() =>
      guard(report, app, exclusive, async () => {
        if (await deployer.remove(app)) report.deleted.push(app);
      }),
    );
  }
  await runLimited(work, options.concurrency ?? 16);
  if (options.observeTimeoutMs !== undefined) {
    await observe(deployer, generations, report, options.observeTimeoutMs, options.pollMs ?? 1000);
  }
  return report;
}

/** One app's work: resume its deploy in flight, or apply its live release; null when there is none. */
function desiredWork(
  deployer: KubernetesDeployer,
  d: DesiredApp,
  resume: ReconcileOptions["resume"],
  generations: Map<string, number>,
  report: ReconcileReport,
): (() => Promise<void>) | null {
  const id = d.deployingId;
  if (d.deploying && id && resume) return () => resume(id);
  if (!d.live || d.deploying) return null;
  return async () => {
    const generation = await applyLive(deployer, d);
    if (generation === null) return;
    generations.set(d.app.name, generation);
    report.applied.push(d.app.name);
  };
}

/**
 * One app's convergence on its live release: its formation (a stopped app's counts 0), restart request,
 * web's autoscaler (only with the metrics API) and CronJobs. The resync runs it for every app and the
 * per-app queue for one (ADR 0209). Null when there is nothing to apply: no live release, or a deploy in
 * flight, which owns the app's objects.
 */
export async function applyLive(deployer: KubernetesDeployer, d: DesiredApp): Promise<number | null> {
  if (!d.live || d.deploying) return null;
  const { target } = await gateAutoscale(deployer.api, d.live);
  const { generation } = await deployer.apply(target);
  await applyCron(deployer, target);
  return generation;
}

async function guard(
  report: ReconcileReport,
  app: string,
  exclusive: NonNullable<ReconcileOptions["exclusive"]>,
  task: () => Promise<void>,
): Promise<void> {
  try {
    if (!(await exclusive(app, task))) report.skipped.push(app);
  } catch (error) {
    report.errors.push({ app, error: describeApiError(error) });
  }
}

/** App names that have a namespace of ours (with our prefix: other installations' are not ours). */
export async function existingApps(deployer: KubernetesDeployer): Promise<string[]> {
  const names: string[] = [];
  let next: string | undefined;
  do {
    const page = await deployer.api.core.listNamespace({
      labelSelector: MANAGED,
      limit: 500,
      ...(next ? { _continue: next } : {}),
    });
    for (const ns of page.items) {
      const app = ns.metadata?.labels?.[LABEL_APP];
      if (app && ns.metadata?.name === deployer.namespaceOf(app) && !ns.metadata.deletionTimestamp)
        names.push(app);
    }
    next = page.metadata?._continue || undefined;
  } while (next);
  return names;
}

/** One cluster-wide list per poll (not one read per app), until every applied rollout has settled. */
async function observe(
  deployer: KubernetesDeployer,
  generations: ReadonlyMap<string, number>,
  report: ReconcileReport,
  timeoutMs: number,
  pollMs: number,
): Promise<void> {
  const waiting = new Map(generations);
  const deadline = Date.now() + timeoutMs;
  while (waiting.size > 0 && Date.now() < deadline) {
    for (const d of await listDeployments(deployer)) {
      const settled = settledApp(deployer, d, waiting);
      if (!settled) continue;
      (settled.complete ? report.complete : report.pending).push(settled.app);
      waiting.delete(settled.app);
    }
    if (waiting.size > 0) await sleep(pollMs);
  }
  report.pending.push(...waiting.keys());
}

/** The app whose rollout this Deployment shows finished (complete or failed), if it is one we wait for. */
function settledApp(
  deployer: KubernetesDeployer,
  d: V1Deployment,
  waiting: ReadonlyMap<string, number>,
): { app: string; complete: boolean } | null {
  const app = d.metadata?.labels?.[LABEL_APP];
  const generation = app === undefined ? undefined : waiting.get(app);
  if (app === undefined || generation === undefined) return null;
  if (d.metadata?.namespace !== deployer.namespaceOf(app)) return null;
  const state = rolloutStatus(d, generation).state;
  return state === "progressing" ? null : { app, complete: state === "complete" };
}

async function listDeployments(deployer: KubernetesDeployer): Promise<V1Deployment[]> {
  const all: V1Deployment[] = [];
  let next: string | undefined;
  do {
    // Small pages: a page of full Deployments is held twice (JSON and objects) while it is read.
    const page = await deployer.api.apps.listDeploymentForAllNamespaces({
      labelSelector: MANAGED,
      limit: 100,
      ...(next ? { _continue: next } : {}),
    });
    all.push(...page.items);
    next = page.metadata?._continue || undefined;
  } while (next);
  return all;
}

/** Runs the tasks with at most `limit` in flight. */
async function runLimited(tasks: ReadonlyArray<() => Promise<void>>, limit: number): Promise<void> {
  let index = 0;
  const worker = async () => {
    while (index < tasks.length) {
      const task = tasks[index++];
      if (task) await task();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}
