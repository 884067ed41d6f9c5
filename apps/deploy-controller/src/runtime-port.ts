import type { ConditionInput } from "@kli8nt/core";

/**
 * The Runtime port (ADR 0195): what the one deploy handler, the reconcilers and the cron scheduler drive.
 * Adapters: the local runtime (podman, or plain processes when podman is absent) and Kubernetes. Every call
 * is level-triggered: `apply` converges the app on what it is given, whatever ran before, so a redelivery,
 * a heal and a formation change are the same call.
 */

/** One process type of a release and how many of it run, at what size. */
export interface ProcessSpec {
  /** `web`, `worker`, … (core's PROCESS_TYPE). Only `web` gets the port, the health check and the route. */
  readonly type: string;
  /** Shell command, or null for the image's own CMD. */
  readonly command: string | null;
  /** 0 stops the type. */
  readonly count: number;
  /** Kubernetes quantity, e.g. "512Mi". */
  readonly memory: string;
  /** Kubernetes quantity, e.g. "0.5" or "500m". */
  readonly cpu: string;
}

/** What an app should run: one release, its formation, its variables. */
export interface DesiredRelease {
  readonly deploymentId: string;
  readonly appId: string;
  readonly appName: string;
  /** Local image id, `process:<dir>`, or an image by digest (Kubernetes). */
  readonly image: string;
  /** The port `web` listens on (given as $PORT). */
  readonly port: number;
  /** Decrypted env (secrets included): never in argv or logs. */
  readonly env: Readonly<Record<string, string>>;
  readonly processes: readonly ProcessSpec[];
  /** Path the health check requests on `web`. */
  readonly healthPath: string;
  /**
   * Instances started before this time are replaced one by one (a rolling restart); null: none asked.
   */
  readonly restartedAt: Date | null;
  /** Stopped by the user: every process at 0, the router answers a "stopped" page. */
  readonly stopped: boolean;
  /**
   * The app's scheduled commands. Kubernetes renders a CronJob of this release per entry (ADR 0206); one
   * machine's scheduler reads the table itself. Absent: leave the runtime's cron objects as they are.
   */
  readonly cron?: readonly CronSpec[];
  /** `web`'s autoscaler (Kubernetes with the metrics API only, ADR 0207); null or absent: none. */
  readonly autoscale?: AutoscaleSpec | null;
}

/** One scheduled command (`POST /api/apps/:name/cron`). */
export interface CronSpec {
  readonly name: string;
  /** Five fields, UTC. */
  readonly schedule: string;
  readonly command: string;
}

/** Scale `web` between `min` and `max` replicas on CPU utilisation (percent of its request). */
export interface AutoscaleSpec {
  readonly min: number;
  readonly max: number;
  readonly targetCpu: number;
}

export type ApplyOutcome =
  | {
      readonly ok: true;
      readonly url: string | null;
      /** Instances this pass started again after they died (counted as restarts). */
      readonly restarted?: number;
      /** Instances restarted after a crash are up but not yet stable (shown as degraded until they are). */
      readonly recovering?: boolean;
      /** What is wrong while the release still serves (an instance in crash back-off…). */
      readonly degraded?: string;
      /** Look again after this long (a crash back-off ends, a restarted instance should be stable). */
      readonly retryAfterMs?: number;
      /**
       * Facts the deploy handler records on the deployment once it is live, e.g. Kubernetes' "autoscaling
       * needs the metrics API" (ADR 0207), so the api shows them in the deployment's conditions.
       */
      readonly conditions?: readonly ConditionInput[];
    }
  /** The release never took traffic; what served before keeps serving. */
  | { readonly ok: false; readonly reason: string };

/** How one instance of a process is doing. */
export interface InstanceObservation {
  readonly deploymentId: string;
  readonly type: string;
  readonly index: number;
  readonly state: "starting" | "running" | "restarting" | "crashed" | "exited";
  readonly restarts: number;
  /** The last lines it printed when it is not running. */
  readonly lastOutput: readonly string[];
}

/** One process type as a whole: what a runtime with its own replica controller (Kubernetes) reports. */
export interface ProcessObservation {
  readonly type: string;
  /** Replicas asked for. */
  readonly replicas: number;
  readonly ready: number;
  /** Container restarts summed over its instances. */
  readonly restarts: number;
}

export interface AppObservation {
  readonly appName: string;
  readonly instances: readonly InstanceObservation[];
  /** Per process type; absent where the instances are all there is (the local runtime). */
  readonly processes?: readonly ProcessObservation[];
}

/** A one-off container of a release: the release phase and cron runs. */
export interface OneOffSpec {
  readonly deploymentId: string;
  readonly appId: string;
  readonly appName: string;
  readonly image: string;
  readonly env: Readonly<Record<string, string>>;
  readonly command: string;
  /** Log phase of its output; also names the instance (`release`, `cron-<name>`). */
  readonly phase: "release" | "cron";
  /** Unique per run (e.g. the cron run id), so a redelivery re-attaches instead of running twice. */
  readonly runId: string;
  readonly memory: string;
  readonly cpu: string;
  readonly timeoutMs: number;
  readonly onLine: (stream: "stdout" | "stderr", line: string) => void;
  /**
   * The formation the release will run, so guard rails applied before the run (the Kubernetes namespace
   * quota) are already sized for it; absent: the platform's floor.
   */
  readonly processes?: readonly ProcessSpec[];
}

export interface OneOffResult {
  /** null when it was killed for running past its timeout. */
  readonly exitCode: number | null;
  /** Its last output lines, for the failure reason. */
  readonly tail: readonly string[];
}

export interface RuntimePort {
  readonly kind: "podman" | "process" | "kubernetes";
  /** False when apps run as plain host processes (shown to the user). */
  readonly isolated: boolean;
  /**
   * Runs the release with its formation. A new release starts next to the current one and takes traffic
   * only once `web` answers; when it fails, it is removed and the previous release keeps serving.
   */
  apply(release: DesiredRelease, signal?: AbortSignal): Promise<ApplyOutcome>;
  observe(appName: string): Promise<AppObservation>;
  /** Every app the runtime runs something for (a restarted platform removes those the database lost). */
  apps(): Promise<string[]>;
  /** Removes everything the app runs and its route; nothing happens for an app with nothing running. */
  remove(appName: string): Promise<void>;
  /** Runs one command to completion in a fresh container of the release's image. */
  runOnce(spec: OneOffSpec, signal?: AbortSignal): Promise<OneOffResult>;
}
