import { describe, expect, it } from "vitest";
import { ConfigError } from "./env-config.ts";
import {
  ConflictError,
  httpStatusOf,
  InputError,
  isKli8ntError,
  Kli8ntError,
  NotAllowedError,
  NotFoundError,
  TerminalError,
  UnauthenticatedError,
  UnavailableError,
} from "./errors.ts";

// Callers match on `code` (and the api edge on `kind`): these must not drift when a class is refactored.
describe("core errors keep their kind, code and HTTP status", () => {
  const cause = new Error("underneath");
  const cases = [
    [new InputError("X", "m", { cause }), "input", 400],
    [new NotFoundError("X", "m", { cause }), "not-found", 404],
    [new ConflictError("X", "m", { cause }), "conflict", 409],
    [new NotAllowedError("X", "m", { cause }), "not-allowed", 403],
    [new UnauthenticatedError("X", "m", { cause }), "unauthenticated", 401],
    [new UnavailableError("X", "m", { cause }), "unavailable", 503],
    [new TerminalError("X", "m", { cause }), "terminal", 422],
    [new Kli8ntError("too-many-requests", "X", "m", { cause }), "too-many-requests", 429],
  ] as const;

  it.each(cases)("%s", (error, kind, status) => {
    expect(isKli8ntError(error)).toBe(true);
    expect(error).toMatchObject({ code: "X", kind, message: "m", cause });
    expect(error.name).toBe(error.constructor.name);
    expect(httpStatusOf(error.kind)).toBe(status);
  });

  it("ConfigError is CONFIG_INVALID, an input error listing its issues", () => {
    const error = new ConfigError("api", [{ path: "KLI8NT_PORT", message: "too big" }]);
    expect(isKli8ntError(error) && error.code).toBe("CONFIG_INVALID");
    expect(error.kind).toBe("input");
    expect(error.issues).toEqual([{ path: "KLI8NT_PORT", message: "too big" }]);
    expect(error.message).toBe("Invalid api configuration:\n  KLI8NT_PORT: too big");
  });

  it("tells plain errors and look-alikes from ours", () => {
    expect(isKli8ntError(new Error("x"))).toBe(false);
    expect(isKli8ntError({ code: "X", kind: "input", message: "m" })).toBe(false);
  });
});
