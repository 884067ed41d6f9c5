/**
 * A 429: core's error kinds have no "slow down", and only the api edge limits rates. problem-json.ts
 * renders it with its code and message, like Fastify's own client errors.
 */
export class TooManyRequestsError extends Error {
  readonly statusCode = 429;
  constructor(
    readonly code: "RATE_LIMITED" | "TOO_MANY_SOCKETS",
    message: string,
  ) {
    super(message);
  }
}
