import type { BatchV1Api, V1Job } from "@kubernetes/client-node";
import { LABEL_OWNER, LABEL_PHASE, labelValue } from "./build-names.ts";

export interface AdmissionLimits {
  readonly namespace: string;
  /** Build Jobs running at once in the cluster (counted in the build namespace, so across replicas). */
  readonly clusterLimit: number;
  /** Build Jobs running at once for one owner. */
  readonly userLimit: number;
}

const finished = (job: V1Job) =>
  job.status?.conditions?.some(
    (c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True",
  ) ?? false;

/**
 * Admits a build only while the cluster and its owner are under their limits, counting the live build
 * Jobs in the namespace (level-triggered: the cluster is the source of truth, so several controller
 * replicas share the limits; two replicas admitting at the same instant may overshoot by one, ADR 0112).
 * Within one process, check-and-create runs under a lock so concurrent handlers cannot both take the
 * last slot. While waiting, the message stays unacknowledged; the bus's bounded prefetch keeps every
 * other queued build in RabbitMQ.
 */
export class BuildAdmission {
  #lock: Promise<void> = Promise.resolve();

  constructor(
    private readonly batch: BatchV1Api,
    private readonly limits: AdmissionLimits,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /** Waits for a slot, then runs `create` (which creates the Job) while still holding the slot check. */
  async admit<T>(owner: string, jobName: string, create: () => Promise<T>): Promise<T> {
    let delay = 250;
    for (;;) {
      const outcome = await this.#exclusive(async () => {
        if (!(await this.#hasRoom(owner, jobName))) return undefined;
        return { value: await create() };
      });
      if (outcome) return outcome.value;
      await this.sleep(delay);
      delay = Math.min(delay * 2, 5_000);
    }
  }

  async #hasRoom(owner: string, jobName: string): Promise<boolean> {
    const list = await this.batch.listNamespacedJob({
      namespace: this.limits.namespace,
      labelSelector: `${LABEL_PHASE}=build`,
    });
    const live = list.items.filter((job) => !finished(job));
    // A redelivered build whose Job already exists is not a new build: it must never wait for itself.
    if (live.some((job) => job.metadata?.name === jobName)) return true;
    const mine = live.filter((job) => job.metadata?.labels?.[LABEL_OWNER] === labelValue(owner));
    return live.length < this.limits.clusterLimit && mine.length < this.limits.userLimit;
  }

  async #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const previous = this.#lock;
    let release!: () => void;
    this.#lock = new Promise((resolve) => {
      release = resolve;
    });
    await previous;
    try {
      return await work();
    } finally {
      release();
    }
  }
}
