/**
 * The Engine: what the local Runtime adapter (local/local-runtime.ts) drives to run instances on one
 * machine — podman containers, or plain host processes when podman is absent. An instance is one process
 * of one release (`web`, `worker`…); its key names it, so starting the same key twice never makes two.
 */

/** One instance to start. */
export interface InstanceSpec {
  /** Names the instance (container name `kli8nt-<key>`); see local/instance-key.ts. */
  readonly key: string;
  readonly deploymentId: string;
  readonly appId: string;
  readonly appName: string;
  /** Process type (`web`, `worker`…) and its index among the type's instances. */
  readonly process: string;
  readonly index: number;
  /** Local image id (podman) or `process:<dir>` (process engine). */
  readonly image: string;
  /** Shell command run instead of the image's CMD (process types); null: the image's own start. */
  readonly command: string | null;
  /** The port the app listens on inside its container (given as $PORT); null: no port (workers). */
  readonly port: number | null;
  /** Limits, as Kubernetes quantities ("512Mi", "0.5"); none when absent. */
  readonly memory?: string | undefined;
  readonly cpu?: string | undefined;
  /** Decrypted env vars (secrets included): they exist only in the instance, never in argv or logs. */
  readonly env: Readonly<Record<string, string>>;
}

/** One line of an instance's output. */
export interface RunLine {
  /** RFC 3339, as precise as the engine gives it. */
  readonly timestamp: string;
  readonly stream: "stdout" | "stderr";
  readonly line: string;
}

/** A running follow of an instance's output; ends by itself when the instance goes away. */
export interface RunFollower {
  stop(): void;
}

/** An instance as the engine observes it. */
export interface Instance {
  readonly key: string;
  readonly deploymentId: string;
  readonly appName: string;
  readonly process: string;
  readonly index: number;
  /** Where the router sends traffic, e.g. http://127.0.0.1:41234; "" for an instance without a port. */
  readonly upstream: string;
  readonly running: boolean;
  /** When it was started (ISO): a restart replaces the instances started before it. */
  readonly startedAt: string;
}

export interface InstanceStatus {
  readonly running: boolean;
  readonly exitCode: number | null;
}

/** A one-off command in a fresh instance of a release's image (release phase, cron). */
export interface OneOffInstanceSpec {
  readonly key: string;
  readonly deploymentId: string;
  readonly appId: string;
  readonly appName: string;
  readonly image: string;
  readonly command: string;
  readonly memory?: string | undefined;
  readonly cpu?: string | undefined;
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly onLine: (line: RunLine) => void;
}

export interface Engine {
  readonly kind: "podman" | "process";
  /** False when apps run as plain host processes (shown to the user). */
  readonly isolated: boolean;
  /** Starts the instance, or returns it when it already runs. */
  start(spec: InstanceSpec): Promise<Instance>;
  /**
   * Stops (after a grace period) and removes the instance; nothing happens when there is none.
   * `graceSeconds` overrides the configured grace (0 for a deleted app: nobody waits for its answers).
   */
  stop(key: string, options?: { readonly graceSeconds?: number }): Promise<void>;
  status(key: string): Promise<InstanceStatus | null>;
  /** Every instance this platform started (labelled kli8nt), running or not. */
  list(): Promise<Instance[]>;
  /** The last output lines of the instance (for failure reasons). */
  logs(key: string, lines: number): Promise<string[]>;
  /**
   * Follows the instance's output from `since` (inclusive; null: from its start), calling `onLine` per line
   * and `onEnd` once the instance stops or `stop()` is called.
   */
  follow?(key: string, since: string | null, onLine: (line: RunLine) => void, onEnd: () => void): RunFollower;
  /**
   * Runs the command to completion and removes the instance; killed after `timeoutMs` (exit code null).
   * A second call with the key of a run still going waits for that run instead of starting another.
   */
  runOnce(
    spec: OneOffInstanceSpec,
    signal?: AbortSignal,
  ): Promise<{ exitCode: number | null; tail: string[] }>;
}
