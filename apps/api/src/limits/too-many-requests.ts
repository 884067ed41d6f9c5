import { Kli8ntError } from "@kli8nt/core";

/** A 429 (kind `too-many-requests`): only the api edge limits rates; its message names the limit. */
export class TooManyRequestsError extends Kli8ntError {
  declare readonly code: "RATE_LIMITED" | "TOO_MANY_SOCKETS";

  constructor(code: "RATE_LIMITED" | "TOO_MANY_SOCKETS", message: string) {
    super("too-many-requests", code, message);
  }
}
