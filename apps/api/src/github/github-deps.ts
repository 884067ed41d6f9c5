import type { ApiDeps } from "../deps.ts";

/** The logging the GitHub services need; pino and Fastify loggers both fit. */
export interface GitHubLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** What the GitHub services need: ApiDeps fits, plus an optional logger for work done off the request. */
export type GitHubDeps = Pick<ApiDeps, "config" | "db" | "box"> & { readonly logger?: GitHubLog | undefined };

export const silentLog: GitHubLog = { info: () => undefined, warn: () => undefined, error: () => undefined };
