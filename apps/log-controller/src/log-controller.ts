import type { LogStore } from "@kli8nt/logstore";
import {
  CoreV1Api,
  type Informer,
  type KubeConfig,
  makeInformer,
  type ObjectCache,
  type V1ContainerStatus,
  type V1Pod,
} from "@kubernetes/client-node";
import {
  ContainerFollower,
  type FollowLogger,
  type FollowTarget,
  type LogPhase,
} from "./container-follower.ts";
import type { ContainerRef } from "./stream-container-log.ts";

export const LABEL_APP = "kli8nt.io/app";
export const LABEL_APP_ID = "kli8nt.io/app-id";
export const LABEL_DEPLOYMENT = "kli8nt.io/deployment";
export const LABEL_PHASE = "kli8nt.io/phase";
const PHASES: readonly LogPhase[] = ["build", "release", "cron"];

/** Pods of process types (`process`) and web (`run`) log as `run`. */
const logPhaseOf = (label: string | undefined): LogPhase => PHASES.find((p) => p === label) ?? "run";

export interface LogControllerLogger extends FollowLogger {
  error(obj: object, msg: string): void;
}

export interface LogControllerDeps {
  readonly kc: KubeConfig;
  /** Where lines go; wrap it with withSecretMasking so secret values never reach it. */
  readonly store: LogStore;
  readonly logger: LogControllerLogger;
  /** App id of a pod whose labels do not carry `kli8nt.io/app-id` (looked up by app name). */
  readonly appIdOf?: (appName: string) => Promise<string>;
  /** Label selector of the pods to follow; must include `kli8nt.io/app`. Default: every Kli8nt pod. */
  readonly labelSelector?: string;
  /** Grace for a deleted pod's streams to deliver their last lines before they are cut. */
  readonly deleteGraceMs?: number;
  readonly retryDelayMs?: number;
}

const key = (ref: ContainerRef) => `${ref.namespace}/${ref.pod}/${ref.container}`;

function started(status: V1ContainerStatus): boolean {
  return Boolean(status.state?.running || status.state?.terminated);
}

/**
 * Watches Kli8nt's pods (build and run) with a shared informer and follows every started container's
 * log into the app's log stream. The informer is restarted with capped backoff after an error (it stays
 * stopped otherwise); followers outlive informer restarts and re-lists, so history is never replayed.
 */
export class LogController {
  readonly #followers = new Map<string, ContainerFollower>();
  readonly #informer: Informer<V1Pod> & ObjectCache<V1Pod>;
  #stopped = false;
  #backoffMs = 500;
  #restartTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: LogControllerDeps) {
    const core = deps.kc.makeApiClient(CoreV1Api);
    const labelSelector = deps.labelSelector ?? LABEL_APP;
    this.#informer = makeInformer(
      deps.kc,
      "/api/v1/pods",
      () => core.listPodForAllNamespaces({ labelSelector }),
      labelSelector,
    );
    const onPod = (pod: V1Pod) => void this.#reconcile(pod);
    this.#informer.on("add", onPod);
    this.#informer.on("update", onPod);
    this.#informer.on("delete", (pod) => this.#forget(pod));
    this.#informer.on("connect", () => {
      this.#backoffMs = 500;
    });
    this.#informer.on("error", (err) => this.#restartLater(err));
  }

  async start(): Promise<void> {
    await this.#informer.start();
  }

  /** Stops watching and cuts every stream; lines already received are stored first. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#restartTimer);
    await this.#informer.stop();
    await Promise.all([...this.#followers.values()].map((f) => f.stop()));
    this.#followers.clear();
  }

  /** Number of containers being followed (for status and tests). */
  get following(): number {
    return this.#followers.size;
  }

  #restartLater(err: unknown): void {
    if (this.#stopped) return;
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, 30_000);
    this.deps.logger.warn({ err, delayMs: delay }, "Restarting pod informer");
    this.#restartTimer = setTimeout(() => {
      this.#informer.start().catch((error: unknown) => this.#restartLater(error));
    }, delay);
  }

  async #reconcile(pod: V1Pod): Promise<void> {
    if (this.#stopped) return;
    const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
    for (const status of statuses.filter(started)) {
      const ref = {
        namespace: pod.metadata?.namespace ?? "",
        pod: pod.metadata?.name ?? "",
        container: status.name,
      };
      // One follower per container instance: a restarted container is a new stream (same checkpoint).
      const k = `${key(ref)}#${status.restartCount}`;
      if (this.#followers.has(k)) continue;
      try {
        this.#follow(k, status.restartCount, await this.#target(pod, ref));
      } catch (error) {
        this.deps.logger.error({ err: error, pod: ref.pod }, "Could not follow container log");
      }
    }
  }

  async #target(pod: V1Pod, ref: ContainerRef): Promise<FollowTarget> {
    const labels = pod.metadata?.labels ?? {};
    const appName = labels[LABEL_APP] ?? "";
    const appId = labels[LABEL_APP_ID] ?? (await this.deps.appIdOf?.(appName)) ?? appName;
    return {
      ...ref,
      appId,
      deploymentId: labels[LABEL_DEPLOYMENT] ?? "unknown",
      phase: logPhaseOf(labels[LABEL_PHASE]),
    };
  }

  #follow(k: string, restartCount: number, target: FollowTarget): void {
    if (this.#followers.has(k) || this.#stopped) return;
    const follower = new ContainerFollower(
      {
        kc: this.deps.kc,
        store: this.deps.store,
        logger: this.deps.logger,
        finished: (ref) => this.#finished(ref, restartCount),
        ...(this.deps.retryDelayMs === undefined ? {} : { retryDelayMs: this.deps.retryDelayMs }),
      },
      target,
    );
    // A finished container keeps its entry: the informer's next update must not follow it again.
    this.#followers.set(k, follower);
  }

  #finished(ref: ContainerRef, restartCount: number): boolean {
    const pod = this.#informer.get(ref.pod, ref.namespace);
    if (!pod) return true;
    const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
    const status = statuses.find((s) => s.name === ref.container);
    return !status || status.restartCount !== restartCount || Boolean(status.state?.terminated);
  }

  #forget(pod: V1Pod): void {
    const prefix = `${pod.metadata?.namespace}/${pod.metadata?.name}/`;
    const grace = this.deps.deleteGraceMs ?? 5_000;
    for (const [k, follower] of this.#followers) {
      if (!k.startsWith(prefix)) continue;
      setTimeout(() => {
        void follower.stop().then(() => this.#followers.delete(k));
      }, grace);
    }
  }
}
