import { isKli8ntError, UnavailableError } from "@kli8nt/core";
import {
  type AppManifests,
  appNamespace,
  type CronEntry,
  envChecksum,
  type ManifestApp,
  type ManifestRelease,
  type ManifestSettings,
  type OneOffCommand,
  renderApp,
  renderCronJob,
  renderEnvSecret,
  renderReleaseJob,
} from "@kli8nt/manifests";
import type { KubernetesObject, V1Deployment, V1Secret } from "@kubernetes/client-node";
import { applyObject, describeApiError, httpStatusOf, type KubeApi } from "./kube-api.ts";
import { removeNamespace } from "./namespace-removal.ts";
import { observeProcesses, type ProcessObservation } from "./observe-processes.ts";
import { pruneEnvSecret } from "./prune-env-secret.ts";
import { pruneCronJobs, pruneWorkloads } from "./prune-workloads.ts";
import { rollBackToPrevious } from "./rollback.ts";
import { type JobRun, runJob } from "./run-job.ts";
import { waitForRollout } from "./wait-rollout.ts";

/** One release of one app, with its decrypted variables: everything needed to render its objects. */
export interface AppRelease {
  readonly app: ManifestApp;
  readonly release: Omit<ManifestRelease, "envChecksum">;
  readonly env: Readonly<Record<string, string>>;
}

export type DeployOutcome =
  | { readonly ok: true; readonly url: string }
  | { readonly ok: false; readonly reason: string; readonly rolledBackTo: string | null };

export interface Applied {
  /** The first of `deployments` (web's when it has one): the rollout the resync observes. */
  readonly deployment: V1Deployment;
  readonly generation: number;
  /** Every Deployment of the formation, `web`'s first when it has one. */
  readonly deployments: readonly V1Deployment[];
  /** Each Deployment's generation after our apply (same order): the rollouts to wait for. */
  readonly generations: readonly number[];
}

/** Something an app leaves outside its namespace (registry images, a log topic), removed with the app. */
export interface AppResidue {
  readonly what: string;
  remove(appName: string): Promise<void>;
}

export interface DeployerOptions {
  readonly settings: ManifestSettings;
  readonly pollMs?: number;
  /** Extra wait past the progress deadline before giving up on a rollout nobody reports on. */
  readonly rolloutGraceMs?: number;
  /** Removed after the namespace when an app is deleted (see `remove`). */
  readonly residues?: readonly AppResidue[];
}

/**
 * The Kubernetes side of a deploy: render, server-side apply, wait for the rollout, roll back a failed
 * one. Every call is idempotent (deterministic names, apply), so a redelivery or a restart re-runs it safely.
 */
export class KubernetesDeployer {
  readonly api: KubeApi;
  readonly settings: ManifestSettings;
  readonly #pollMs: number;
  readonly #graceMs: number;
  readonly #residues: readonly AppResidue[];
  /** Apps whose namespace delete was refused for good, with that error. */
  readonly #refused = new Map<string, Error>();

  constructor(api: KubeApi, options: DeployerOptions) {
    this.api = api;
    this.settings = options.settings;
    this.#pollMs = options.pollMs ?? 1000;
    this.#graceMs = options.rolloutGraceMs ?? 60_000;
    this.#residues = options.residues ?? [];
  }

  urlOf(appName: string): string {
    return `https://${appName}.${this.settings.appsDomain}`;
  }

  namespaceOf(appName: string): string {
    return appNamespace(this.settings.namespacePrefix, appName);
  }

  /**
   * Applies the namespace, its guard rails, the env Secret, then every process type's Deployment, web's
   * routing and autoscaler, and prunes what the formation no longer has. Scaling, stopping (counts 0) and
   * restarting (`restartedAt`) are this same call with another formation.
   */
  async apply(target: AppRelease): Promise<Applied> {
    const m = await this.#applyNamespace(target);
    return this.#wrap(target.app.name, async () => {
      const deployments = [...(m.web ? [m.deployment] : []), ...m.processes];
      const routing = m.web ? [m.service, m.ingress] : [];
      const autoscaler = m.autoscaler ? [m.autoscaler] : [];
      const applied = await this.#applyAll([...deployments, ...routing, ...autoscaler]);
      await pruneWorkloads(this.api, {
        namespace: m.names.namespace,
        appName: target.app.name,
        deployments: new Set(deployments.map((d) => d.metadata?.name ?? "")),
        web: m.web,
        autoscaler: m.autoscaler !== undefined,
      });
      const generations = applied.slice(0, deployments.length).map((d) => d.metadata?.generation ?? 1);
      return {
        deployment: deployments[0] ?? m.deployment,
        generation: generations[0] ?? 1,
        deployments,
        generations,
      };
    });
  }

  /** The namespace, the controller's grant, the guard rails and the env Secret: what any pod needs first. */
  async #applyNamespace(target: AppRelease): Promise<AppManifests> {
    const release: ManifestRelease = { ...target.release, envChecksum: envChecksum(target.env) };
    const m = renderApp(target.app, release, this.settings);
    const secret = renderEnvSecret(target.app, release, target.env, this.settings);
    return this.#wrap(target.app.name, async () => {
      await applyObject(this.api, m.namespace);
      // The controller's own grant in the namespace: its ClusterRole writes nothing inside namespaces.
      const granted = m.roleBinding !== undefined;
      if (m.roleBinding) await applyObject(this.api, m.roleBinding);
      // Guard rails before the workload, so no pod of the app ever runs without quota and policy.
      const rails = await this.#applyAll(
        [m.resourceQuota, m.limitRange, m.networkPolicy, m.egressPolicy, secret],
        granted,
      );
      // Before the workload: a new pod must never start with a variable the user deleted.
      await pruneEnvSecret(this.api, rails.at(-1) as V1Secret, target.env);
      return m;
    });
  }

  async #wrap<T>(appName: string, task: () => Promise<T>): Promise<T> {
    try {
      return await task();
    } catch (error) {
      throw new UnavailableError(
        "KUBERNETES_APPLY_FAILED",
        `Applying app "${appName}" failed: ${describeApiError(error)}`,
        { cause: error, details: { app: appName, status: httpStatusOf(error) ?? null } },
      );
    }
  }

  /**
   * Applies the release and waits for the rollout of every process type. A failed rollout sends each
   * Deployment back to its previous ReplicaSet's template, so the release that served before keeps serving.
   */
  async deploy(target: AppRelease, signal?: AbortSignal): Promise<DeployOutcome> {
    const applied = await this.apply(target);
    signal?.throwIfAborted();
    const outcomes = await Promise.all(
      applied.deployments.map((d, i) =>
        waitForRollout(this.api, {
          namespace: this.namespaceOf(target.app.name),
          name: d.metadata?.name ?? target.app.name,
          generation: applied.generations[i] ?? 1,
          timeoutMs: this.settings.progressDeadlineSeconds * 1000 + this.#graceMs,
          pollMs: this.#pollMs,
          signal,
        }),
      ),
    );
    const failed = outcomes.find((o) => !o.ok);
    if (!failed || failed.ok) return { ok: true, url: this.urlOf(target.app.name) };
    signal?.throwIfAborted();
    const backs = await Promise.all(applied.deployments.map((d) => rollBackToPrevious(this.api, d)));
    const back = backs[0] ?? null;
    const tail = back
      ? `; rolled back to the previous ReplicaSet ${back.replicaSet}, which keeps serving`
      : "; there is no previous release to keep serving";
    return { ok: false, reason: `${failed.reason}${tail}`, rolledBackTo: back?.deploymentId ?? null };
  }

  /**
   * The release phase: applies the env Secret and a Job running `run.command` in the release's image,
   * waits until it succeeds, fails or passes its deadline, and returns its exit code and last lines.
   * The Job's name is the deployment's, so a redelivery attaches to the same run.
   */
  async runRelease(
    target: AppRelease,
    run: OneOffCommand,
    options: { readonly signal?: AbortSignal; readonly onLine?: (line: string) => void } = {},
  ): Promise<JobRun> {
    // The guard rails and the new variables first: the Job's pod must see the env of the new release.
    await this.#applyNamespace(target);
    const job = renderReleaseJob(target.app, target.release, run, this.settings);
    return runJob(this.api, job, { pollMs: this.#pollMs, signal: options.signal, onLine: options.onLine });
  }

  /** Applies one CronJob per entry, in containers of the given release, and deletes the app's others. */
  async applyCronJobs(
    app: ManifestApp,
    release: Pick<ManifestRelease, "deploymentId" | "image">,
    entries: readonly CronEntry[],
  ): Promise<{ readonly applied: string[]; readonly deleted: string[] }> {
    const jobs = entries.map((e) => renderCronJob(app, release, e, this.settings));
    await this.#applyAll(jobs);
    const applied = jobs.map((j) => j.metadata?.name ?? "");
    const deleted = await pruneCronJobs(this.api, this.namespaceOf(app.name), app.name, new Set(applied));
    return { applied, deleted };
  }

  /** Every process type of the app as it runs now; empty when the app has no namespace. */
  observe(appName: string): Promise<ProcessObservation[]> {
    return observeProcesses(this.api, this.namespaceOf(appName), appName);
  }

  /**
   * Deletes the app's namespace and with it everything the app ran, then what it left outside the
   * cluster (its registry images and build cache, its log topic). False when there was no namespace.
   */
  async remove(appName: string): Promise<boolean> {
    // A delete refused for good is reported again, never sent again (until a restart: issue 20).
    const refused = this.#refused.get(appName);
    if (refused) throw refused;
    const removed = await this.#removeNamespace(appName);
    // Every residue is tried; the first failure is reported (and the whole removal retried, idempotently).
    const results = await Promise.allSettled(this.#residues.map((r) => r.remove(appName)));
    const failed = results.findIndex((r) => r.status === "rejected");
    if (failed >= 0) {
      const error = (results[failed] as PromiseRejectedResult).reason;
      throw new UnavailableError(
        "APP_RESIDUE_DELETE_FAILED",
        `Deleting the ${this.#residues[failed]?.what} of app "${appName}" failed: ${describeApiError(error)}`,
        { cause: error, details: { app: appName } },
      );
    }
    return removed;
  }

  async #removeNamespace(appName: string): Promise<boolean> {
    try {
      return (await removeNamespace(this.api, this.namespaceOf(appName))) === "deleted";
    } catch (error) {
      if (isKli8ntError(error) && error.code === "NAMESPACE_DELETE_REFUSED")
        this.#refused.set(appName, error);
      throw error;
    }
  }

  async #applyAll(objects: KubernetesObject[], afterGrant = false): Promise<KubernetesObject[]> {
    return Promise.all(objects.map((o) => applyObject(this.api, o, { afterGrant })));
  }
}
