import { BuildPlanError } from "@kli8nt/buildplan";
import { BusError, MessageInvalidError } from "@kli8nt/bus";
import { isKli8ntError } from "@kli8nt/core";
import { GitHubError, TokenUnreadableError } from "@kli8nt/github";
import { LogStoreError } from "@kli8nt/logstore";
import { describe, expect, it } from "vitest";
import { TooManyRequestsError } from "./limits/too-many-requests.ts";
import { GitCommandError } from "./repository/run-git.ts";

// Every error class the api can meet is a Kli8ntError with a stable code and kind: callers and the
// problem+json edge match on those, never on the class or the message (ADR 0175).
describe("the packages' error classes keep their codes", () => {
  const cases = [
    [new BuildPlanError("STACK_UNDETECTED", "m", { lookedFor: [] }), "STACK_UNDETECTED", "terminal"],
    [new BusError("BUS_CLOSED", "m"), "BUS_CLOSED", "unavailable"],
    [new MessageInvalidError("m"), "MESSAGE_INVALID", "input"],
    [
      new GitHubError("GITHUB_NOT_FOUND", "m", { details: { status: 404 } }),
      "GITHUB_NOT_FOUND",
      "unavailable",
    ],
    [new TokenUnreadableError("m"), "GITHUB_TOKEN_UNREADABLE", "internal"],
    [new LogStoreError("LOGSTORE_INVALID_APP_ID", "m"), "LOGSTORE_INVALID_APP_ID", "input"],
    [new LogStoreError("LOGSTORE_CLOSED", "m"), "LOGSTORE_CLOSED", "unavailable"],
    [new TooManyRequestsError("RATE_LIMITED", "m"), "RATE_LIMITED", "too-many-requests"],
    [new GitCommandError("fatal: no such ref", false), "GIT_FAILED", "unavailable"],
  ] as const;

  it.each(cases)("%s", (error, code, kind) => {
    expect(isKli8ntError(error)).toBe(true);
    expect(error).toMatchObject({ code, kind, message: error.message });
  });

  it("keeps safe details on the error", () => {
    expect(new BuildPlanError("STACK_UNDETECTED", "m", { lookedFor: ["go.mod"] }).details).toEqual({
      lookedFor: ["go.mod"],
    });
    expect(new GitHubError("GITHUB_RATE_LIMITED", "m", { details: { resetAt: "t" } }).details).toEqual({
      resetAt: "t",
    });
  });
});
