/** The shapes the CLI reads from the API (see GET /api/openapi.json). */
export interface DeploymentView {
  readonly id: string;
  readonly number: number;
  readonly state: string;
  readonly trigger: string;
  readonly ref: string;
  readonly commitSha: string | null;
  readonly url: string | null;
  readonly reason: string | null;
  /** Restarts after the release died (absent from servers older than the field). */
  readonly restarts?: number;
  readonly conditions?: readonly ConditionView[];
  readonly createdAt: string;
  readonly finishedAt: string | null;
}

export interface ConditionView {
  readonly type: string;
  readonly status: "true" | "false" | "unknown";
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
}

export interface AppView {
  readonly name: string;
  readonly url: string;
  readonly repository: { readonly url: string; readonly branch: string; readonly rootDir: string };
  readonly port: number | null;
  /** Overrides of the build plan (absent from older servers). */
  readonly buildSettings?: Readonly<Record<string, string>>;
  readonly latestDeployment: DeploymentView | null;
}

export interface LogLine {
  readonly type: "record";
  readonly offset: number;
  readonly timestamp: string;
  readonly phase: "build" | "release" | "run" | "cron";
  readonly stream: "stdout" | "stderr";
  readonly deploymentId: string;
  readonly line: string;
}

export type LogEvent = LogLine | { readonly type: "dropped"; readonly dropped: number };

export const FINAL_STATES: ReadonlySet<string> = new Set(["live", "failed", "cancelled", "superseded"]);
