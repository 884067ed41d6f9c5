import type { BuildRequested } from "@kli8nt/core";
import {
  ApiException,
  BatchV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1Job,
  type V1Pod,
} from "@kubernetes/client-node";
import type { CloneCredentials } from "../workspace.ts";
import type { BuildAdmission } from "./build-admission.ts";
import { type BuildNames, buildNames } from "./build-names.ts";
import { type JobOutcome, jobOutcome } from "./job-outcome.ts";
import {
  buildAccess,
  dockerConfigWithToken,
  mintRegistryToken,
  type RegistryTokenIssuer,
} from "./registry-token.ts";
import { buildLabels, type JobSettings, renderBuildJob, renderTokenSecret } from "./render-build-job.ts";

export interface KanikoJobBuilderOptions {
  readonly kubeConfig: KubeConfig;
  readonly settings: JobSettings & { readonly registry: string };
  readonly admission: BuildAdmission;
  readonly credentials?: CloneCredentials | undefined;
  /** Per-build registry tokens (docs/adr/0140); `settings.perBuildRegistryToken` must be set with it. */
  readonly registryToken?: RegistryTokenIssuer | undefined;
  readonly pollMs?: number;
}

export type FinishedOutcome = Exclude<JobOutcome, { kind: "running" }>;

const status = (error: unknown) => (error instanceof ApiException ? error.code : undefined);

async function ignoring<T>(codes: number[], call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    if (codes.includes(status(error) ?? 0)) return undefined;
    throw error;
  }
}

/**
 * Runs one build as a Kubernetes Job and always tears it down. Returns the outcome; throws only on
 * infrastructure errors (API server unreachable…), which the bus answers with a redelivery.
 */
export class KanikoJobBuilder {
  readonly #batch: BatchV1Api;
  readonly #core: CoreV1Api;

  constructor(private readonly options: KanikoJobBuilderOptions) {
    this.#batch = options.kubeConfig.makeApiClient(BatchV1Api);
    this.#core = options.kubeConfig.makeApiClient(CoreV1Api);
  }

  async build(message: BuildRequested, owner: string, cloneToken?: string | null): Promise<FinishedOutcome> {
    const { settings } = this.options;
    const names = buildNames(message.deploymentId, message.appName, settings.registry);
    const labels = buildLabels(message, owner);
    // The token goes into the per-build Secret only: never the Job spec, a log line or the bus.
    const token =
      cloneToken !== undefined
        ? cloneToken
        : ((await this.options.credentials?.(message.repository.url)) ?? null);
    const namespace = settings.namespace;
    try {
      const job = await this.options.admission.admit(owner, names.job, () =>
        this.#createJob(renderBuildJob(message, names, labels, settings)),
      );
      // Owned by the Job: if this process dies, the Job's TTL takes the Secret with it.
      const secret = renderTokenSecret(names, labels, settings, token, this.#registryConfig(names));
      secret.metadata = {
        ...secret.metadata,
        ownerReferences: [
          { apiVersion: "batch/v1", kind: "Job", name: names.job, uid: job.metadata?.uid ?? "" },
        ],
      };
      await ignoring([409], () => this.#core.createNamespacedSecret({ namespace, body: secret }));
      return await this.#waitForOutcome(names.job, names.repository);
    } finally {
      await this.#tearDown(names.job, names.secret);
    }
  }

  /**
   * Kaniko's Docker config with a token for this app's repositories only, valid a little longer than
   * the build may run: what a RUN step can read from Kaniko's container pushes nowhere else, and not later.
   */
  #registryConfig(names: BuildNames): string | undefined {
    const issuer = this.options.registryToken;
    if (!issuer) return undefined;
    const { settings } = this.options;
    const host = settings.registry.split("/")[0] ?? settings.registry;
    const access = buildAccess(
      host,
      names.repository,
      names.cacheRepository,
      Object.values(settings.baseImages),
    );
    const token = mintRegistryToken(issuer, names.job, access, settings.timeoutSeconds + 120);
    return dockerConfigWithToken(host, token);
  }

  async #createJob(job: V1Job): Promise<V1Job> {
    const namespace = this.options.settings.namespace;
    const created = await ignoring([409], () => this.#batch.createNamespacedJob({ namespace, body: job }));
    // 409: a redelivery of a build whose Job still runs; follow that Job instead of starting another.
    return created ?? this.#batch.readNamespacedJob({ namespace, name: job.metadata?.name ?? "" });
  }

  async #waitForOutcome(jobName: string, repository: string): Promise<FinishedOutcome> {
    const namespace = this.options.settings.namespace;
    const pollMs = this.options.pollMs ?? 500;
    // The Job's own deadline ends it; this one only guards against a Job controller that never reports.
    const deadline = Date.now() + (this.options.settings.timeoutSeconds + 120) * 1000;
    while (Date.now() < deadline) {
      const job = await this.#batch.readNamespacedJob({ namespace, name: jobName });
      const pod = await this.#jobPod(jobName);
      const outcome = jobOutcome(job, pod, repository);
      if (outcome.kind !== "running") return outcome;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
    return { kind: "failed", reason: "The build did not finish in time" };
  }

  async #jobPod(jobName: string): Promise<V1Pod | undefined> {
    const pods = await this.#core.listNamespacedPod({
      namespace: this.options.settings.namespace,
      labelSelector: `job-name=${jobName}`,
    });
    return pods.items[0];
  }

  async #tearDown(jobName: string, secretName: string): Promise<void> {
    const namespace = this.options.settings.namespace;
    // Background propagation: the garbage collector removes the pods; the Secret is deleted directly
    // so the token is gone even before the collector runs.
    await ignoring([404], () => this.#core.deleteNamespacedSecret({ namespace, name: secretName }));
    await ignoring([404], () =>
      this.#batch.deleteNamespacedJob({ namespace, name: jobName, propagationPolicy: "Background" }),
    );
  }
}
