import { api } from "./client.ts";
import type { DeploymentState } from "./types.ts";

/** One open pull request preview (`GET /api/apps/:name/previews`, ADR 0200). */
export interface Preview {
  readonly number: number;
  /** The preview's own app, `<app>-pr-<n>`: its deployments and logs. */
  readonly app: string;
  readonly state: DeploymentState;
  readonly url: string;
  readonly pullRequest: { readonly number: number; readonly title: string; readonly url: string };
  readonly head: { readonly repo: string; readonly ref: string; readonly sha: string };
  readonly fork: boolean;
  readonly createdAt: string;
}

export interface PreviewSettings {
  readonly mode: "off" | "all" | "label";
  readonly label: string;
  readonly max: number;
  readonly allowForks: boolean;
  /** With a Postgres add-on: each preview's own database starts empty or as a copy (ADR 0201). */
  readonly database: "empty" | "copy";
  /** Days a closed preview's logs are kept (ADR 0203). */
  readonly logRetentionDays: number;
}

/** A torn-down preview whose logs are still kept (ADR 0203). */
export interface ClosedPreview {
  readonly number: number;
  readonly app: string;
  readonly title: string;
  readonly closedAt: string;
  readonly logsUntil: string;
}

const previews = (name: string) => `/api/apps/${encodeURIComponent(name)}/previews`;

export const listPreviews = (name: string) =>
  api<{ settings: PreviewSettings; items: Preview[]; closed: ClosedPreview[] }>("GET", previews(name));
/** The `previews` setting through `PATCH /api/apps/:name`; absent fields keep their stored value. */
export const savePreviewSettings = (name: string, settings: Partial<PreviewSettings>) =>
  api<unknown>("PATCH", `/api/apps/${encodeURIComponent(name)}`, { previews: settings });
export const tearDownPreview = (name: string, number: number) =>
  api<unknown>("DELETE", `${previews(name)}/${number}`);

/** One line of a preview's log (`GET …/previews/:number/logs`, the app log route's page). */
export interface PreviewLogRecord {
  readonly offset: number;
  readonly timestamp: string;
  readonly phase: string;
  readonly stream: "stdout" | "stderr";
  readonly source: string;
  readonly line: string;
}

/** The last lines of an open or closed preview's log, while its retention keeps them (ADR 0203). */
export const readPreviewLogs = (name: string, number: number, tail = 1000) =>
  api<{ records: PreviewLogRecord[]; next: number; end: number; truncated?: true }>(
    "GET",
    `${previews(name)}/${number}/logs?tail=${tail}`,
  );
