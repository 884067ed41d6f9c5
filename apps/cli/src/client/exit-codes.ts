import { CliError } from "./api-client.ts";

/**
 * Exit codes scripts can branch on. 1 stays the catch-all it always was; 2 is a usage mistake (as before);
 * 4 means the saved or given token is missing, invalid, expired or revoked: log in again.
 */
export const EXIT = { ok: 0, error: 1, usage: 2, unauthenticated: 4 } as const;

export function exitCodeOf(error: unknown): number {
  if (!(error instanceof CliError)) return EXIT.error;
  if (error.code === "USAGE") return EXIT.usage;
  if (error.status === 401 || error.code === "NOT_LOGGED_IN") return EXIT.unauthenticated;
  return EXIT.error;
}
