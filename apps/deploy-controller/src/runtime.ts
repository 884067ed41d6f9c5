/** What to run: one release (deployment) of an app. */
export interface ReleaseSpec {
  readonly deploymentId: string;
  readonly appId: string;
  readonly appName: string;
  /** Local image id (podman) or `process:<dir>` (process runtime). */
  readonly image: string;
  /** Port the app listens on inside its container; it gets it as $PORT. */
  readonly port: number;
  /** Decrypted env vars (secrets included): they exist only in the runtime, never in argv or logs. */
  readonly env: Readonly<Record<string, string>>;
}

/** One line of a release's output. */
export interface RunLine {
  /** RFC 3339, as precise as the runtime gives it. */
  readonly timestamp: string;
  readonly stream: "stdout" | "stderr";
  readonly line: string;
}

/** A running follow of a release's output; ends by itself when the instance goes away. */
export interface RunFollower {
  stop(): void;
}

/** A release as the runtime observes it. */
export interface ReleaseInstance {
  readonly deploymentId: string;
  readonly appName: string;
  /** Where the router sends traffic, e.g. http://127.0.0.1:41234. */
  readonly upstream: string;
  readonly running: boolean;
}

export interface ReleaseStatus {
  readonly running: boolean;
  readonly exitCode: number | null;
}

/**
 * The Runtime port: podman on a single machine (`process` when podman is absent), Kubernetes in a cluster.
 * Instances are named after the deployment, so starting a release twice never makes two instances.
 */
export interface Runtime {
  readonly kind: "podman" | "process";
  /** False when apps run as plain host processes (shown to the user). */
  readonly isolated: boolean;
  /** Starts the release, or returns its instance when it already runs. */
  start(spec: ReleaseSpec): Promise<ReleaseInstance>;
  /**
   * Stops (after a grace period) and removes the release's instance; nothing happens when there is none.
   * `graceSeconds` overrides the configured grace (0 for a deleted app: nobody waits for its answers).
   */
  stop(deploymentId: string, options?: { readonly graceSeconds?: number }): Promise<void>;
  status(deploymentId: string): Promise<ReleaseStatus | null>;
  /** Every instance this platform started (labelled kli8nt), running or not. */
  list(): Promise<ReleaseInstance[]>;
  /** The last output lines of the release (for failure reasons). */
  logs(deploymentId: string, lines: number): Promise<string[]>;
  /**
   * Follows the release's output from `since` (inclusive; null: from its start), calling `onLine` per line
   * and `onEnd` once the instance stops or `stop()` is called.
   */
  follow?(
    deploymentId: string,
    since: string | null,
    onLine: (line: RunLine) => void,
    onEnd: () => void,
  ): RunFollower;
}
