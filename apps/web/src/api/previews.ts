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
}

const previews = (name: string) => `/api/apps/${encodeURIComponent(name)}/previews`;

export const listPreviews = (name: string) =>
  api<{ settings: PreviewSettings; items: Preview[] }>("GET", previews(name));
export const tearDownPreview = (name: string, number: number) =>
  api<unknown>("DELETE", `${previews(name)}/${number}`);
