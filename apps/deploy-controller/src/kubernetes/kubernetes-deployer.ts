import { UnavailableError } from "@kli8nt/core";
import {
  envChecksum,
  type ManifestApp,
  type ManifestRelease,
  type ManifestSettings,
  renderApp,
  renderEnvSecret,
} from "@kli8nt/manifests";
import type { KubernetesObject, V1Deployment, V1Secret } from "@kubernetes/client-node";
import { applyObject, describeApiError, httpStatusOf, type KubeApi } from "./kube-api.ts";
import { pruneEnvSecret } from "./prune-env-secret.ts";
import { rollBackToPrevious } from "./rollback.ts";
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
  readonly deployment: V1Deployment;
  /** The Deployment's generation after our apply: the rollout to wait for. */
  readonly generation: number;
}

export interface DeployerOptions {
  readonly settings: ManifestSettings;
  readonly pollMs?: number;
  /** Extra wait past the progress deadline before giving up on a rollout nobody reports on. */
  readonly rolloutGraceMs?: number;
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

  constructor(api: KubeApi, options: DeployerOptions) {
    this.api = api;
    this.settings = options.settings;
    this.#pollMs = options.pollMs ?? 1000;
    this.#graceMs = options.rolloutGraceMs ?? 60_000;
  }

  urlOf(appName: string): string {
    return `https://${appName}.${this.settings.appsDomain}`;
  }

  namespaceOf(appName: string): string {
    return `${this.settings.namespacePrefix}${appName}`;
  }

  /** Applies the namespace, its guard rails, the env Secret, then the workload and its routing. */
  async apply(target: AppRelease): Promise<Applied> {
    const release: ManifestRelease = { ...target.release, envChecksum: envChecksum(target.env) };
    const m = renderApp(target.app, release, this.settings);
    const secret = renderEnvSecret(target.app, release, target.env, this.settings);
    try {
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
      const [deployment] = (await this.#applyAll([m.deployment, m.service, m.ingress])) as [V1Deployment];
      return { deployment: m.deployment, generation: deployment.metadata?.generation ?? 1 };
    } catch (error) {
      throw new UnavailableError(
        "KUBERNETES_APPLY_FAILED",
        `Applying app "${target.app.name}" failed: ${describeApiError(error)}`,
        { cause: error, details: { app: target.app.name, status: httpStatusOf(error) ?? null } },
      );
    }
  }

  /**
   * Applies the release and waits for its rollout. A failed rollout goes back to the previous
   * ReplicaSet's template, so the release that served before keeps serving.
   */
  async deploy(target: AppRelease, signal?: AbortSignal): Promise<DeployOutcome> {
    const applied = await this.apply(target);
    signal?.throwIfAborted();
    const outcome = await waitForRollout(this.api, {
      namespace: this.namespaceOf(target.app.name),
      name: applied.deployment.metadata?.name ?? target.app.name,
      generation: applied.generation,
      timeoutMs: this.settings.progressDeadlineSeconds * 1000 + this.#graceMs,
      pollMs: this.#pollMs,
      signal,
    });
    if (outcome.ok) return { ok: true, url: this.urlOf(target.app.name) };
    signal?.throwIfAborted();
    const back = await rollBackToPrevious(this.api, applied.deployment);
    const tail = back
      ? `; rolled back to the previous ReplicaSet ${back.replicaSet}, which keeps serving`
      : "; there is no previous release to keep serving";
    return { ok: false, reason: `${outcome.reason}${tail}`, rolledBackTo: back?.deploymentId ?? null };
  }

  /** Deletes the app's namespace and with it everything the app had. False when there was none. */
  async remove(appName: string): Promise<boolean> {
    try {
      await this.api.core.deleteNamespace({ name: this.namespaceOf(appName) });
      return true;
    } catch (error) {
      if (httpStatusOf(error) === 404) return false;
      throw new UnavailableError(
        "KUBERNETES_DELETE_FAILED",
        `Deleting app "${appName}" failed: ${describeApiError(error)}`,
        { cause: error, details: { app: appName } },
      );
    }
  }

  async #applyAll(objects: KubernetesObject[], afterGrant = false): Promise<KubernetesObject[]> {
    return Promise.all(objects.map((o) => applyObject(this.api, o, { afterGrant })));
  }
}
