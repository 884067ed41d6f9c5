import {
  ApiException,
  BatchV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1Job,
  type V1Pod,
} from "@kubernetes/client-node";
import type { Builder, BuildRequest, BuildResult } from "../builder.ts";
import { BuildError } from "../errors.ts";
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

/** The build's result, or the BuildError that says why it failed. */
function resultOf(outcome: FinishedOutcome): BuildResult {
  if (outcome.kind === "failed") {
    throw new BuildError(outcome.timedOut ? "BUILD_TIMEOUT" : "BUILD_FAILED", outcome.reason.slice(0, 4096));
  }
  const { plan } = outcome;
  return { image: outcome.image, commitSha: plan?.commitSha ?? null, plan };
}

/**
 * The Builder port in Kubernetes: runs one build as a Job (the prepare step clones and plans in the
 * cluster, Kaniko builds and pushes by digest) and always tears it down. A failed Job throws a BuildError
 * with its reason; infrastructure errors (API server unreachable…) throw as they are, and the bus redelivers.
 */
export class KanikoJobBuilder implements Builder {
  readonly kind = "kaniko-job";
  readonly isolated = true;
  /** The configured build timeout (the Job's deadline unless a request asks for less or more). */
  readonly timeoutMs: number;
  readonly #batch: BatchV1Api;
  readonly #core: CoreV1Api;

  constructor(private readonly options: KanikoJobBuilderOptions) {
    this.#batch = options.kubeConfig.makeApiClient(BatchV1Api);
    this.#core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.timeoutMs = options.settings.timeoutSeconds * 1000;
  }

  async build(request: BuildRequest): Promise<BuildResult> {
    return resultOf(await this.#run(request));
  }

  /** The Job's outcome, failures included (they do not throw here). */
  async #run(request: BuildRequest): Promise<FinishedOutcome> {
    // The Job's own deadline is the build timeout.
    const timeoutSeconds = Math.max(1, Math.ceil(request.timeoutMs / 1000));
    const settings = { ...this.options.settings, timeoutSeconds };
    const names = buildNames(request.deploymentId, request.appName, settings.registry);
    const labels = buildLabels(request, request.owner);
    // The token goes into the per-build Secret only: never the Job spec, a log line or the bus.
    const token =
      request.cloneToken !== undefined
        ? request.cloneToken
        : ((await this.options.credentials?.(request.repository.url)) ?? null);
    const namespace = settings.namespace;
    try {
      const job = await this.options.admission.admit(request.owner, names.job, () =>
        this.#createJob(renderBuildJob(request, names, labels, settings)),
      );
      request.onLine("stdout", `Started build Job ${names.job}`);
      // Owned by the Job: if this process dies, the Job's TTL takes the Secret with it.
      const secret = renderTokenSecret(
        names,
        labels,
        settings,
        token,
        this.#registryConfig(names, timeoutSeconds),
      );
      secret.metadata = {
        ...secret.metadata,
        ownerReferences: [
          { apiVersion: "batch/v1", kind: "Job", name: names.job, uid: job.metadata?.uid ?? "" },
        ],
      };
      await ignoring([409], () => this.#core.createNamespacedSecret({ namespace, body: secret }));
      return await this.#waitForOutcome(names.job, names.repository, timeoutSeconds);
    } finally {
      await this.#tearDown(names.job, names.secret);
    }
  }

  /**
   * Kaniko's Docker config with a token for this app's repositories only, valid a little longer than
   * the build may run: what a RUN step can read from Kaniko's container pushes nowhere else, and not later.
   */
  #registryConfig(names: BuildNames, timeoutSeconds: number): string | undefined {
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
    const token = mintRegistryToken(issuer, names.job, access, timeoutSeconds + 120);
    return dockerConfigWithToken(host, token);
  }

  async #createJob(job: V1Job): Promise<V1Job> {
    const namespace = this.options.settings.namespace;
    const created = await ignoring([409], () => this.#batch.createNamespacedJob({ namespace, body: job }));
    // 409: a redelivery of a build whose Job still runs; follow that Job instead of starting another.
    return created ?? this.#batch.readNamespacedJob({ namespace, name: job.metadata?.name ?? "" });
  }

  async #waitForOutcome(
    jobName: string,
    repository: string,
    timeoutSeconds: number,
  ): Promise<FinishedOutcome> {
    const namespace = this.options.settings.namespace;
    const pollMs = this.options.pollMs ?? 500;
    // The Job's own deadline ends it; this one only guards against a Job controller that never reports.
    const deadline = Date.now() + (timeoutSeconds + 120) * 1000;
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
