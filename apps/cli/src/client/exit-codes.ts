import { CliError } from "./api-client.ts";

/**
 * Exit codes scripts can branch on (ADR 0197). 1 stays the catch-all it always was; 2 is a usage mistake;
 * 3 means what was named (app, deployment, cron job, token) does not exist or is not yours; 4 means the
 * saved or given token is missing, invalid, expired or revoked: log in again.
 */
export const EXIT = { ok: 0, error: 1, usage: 2, notFound: 3, unauthenticated: 4 } as const;

export function exitCodeOf(error: unknown): number {
  if (!(error instanceof CliError)) return EXIT.error;
  if (error.code === "USAGE") return EXIT.usage;
  if (error.status === 401 || error.code === "NOT_LOGGED_IN") return EXIT.unauthenticated;
  if (error.status === 404 || error.code === "NOT_FOUND") return EXIT.notFound;
  return EXIT.error;
}
