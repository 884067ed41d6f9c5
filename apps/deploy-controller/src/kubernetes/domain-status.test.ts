import { describe, expect, it } from "vitest";
import { domainStateOf, sameState } from "./domain-status.ts";

const failed = (message: string) => ({ type: "Issuing", status: "False", reason: "Failed", message });

describe("domainStateOf", () => {
  it("is pending without a Certificate, without conditions, and while issuing", () => {
    const pending = { status: "pending", detail: null, notAfter: null };
    expect(domainStateOf(undefined)).toEqual(pending);
    expect(domainStateOf({ status: {} })).toEqual(pending);
    const issuing = {
      status: {
        conditions: [
          { type: "Ready", status: "False", reason: "DoesNotExist", message: "Issuing certificate" },
          { type: "Issuing", status: "True", reason: "DoesNotExist" },
        ],
      },
    };
    expect(domainStateOf(issuing)).toEqual(pending);
  });

  it("is active once Ready, with the expiry", () => {
    const cert = {
      status: {
        conditions: [{ type: "Ready", status: "True", reason: "Ready" }],
        notAfter: "2027-03-04T20:00:00Z",
      },
    };
    expect(domainStateOf(cert)).toEqual({
      status: "active",
      detail: null,
      notAfter: new Date("2027-03-04T20:00:00Z"),
    });
  });

  it("is an error with the ACME server's reason once issuance failed", () => {
    const message =
      'The certificate request has failed to complete and will be retried: order is in "invalid" state: 403 urn:ietf:params:acme:error:unauthorized';
    const cert = {
      status: { conditions: [{ type: "Ready", status: "False", reason: "DoesNotExist" }, failed(message)] },
    };
    expect(domainStateOf(cert)).toEqual({ status: "error", detail: message, notAfter: null });
  });

  it("stays active with the reason when a renewal fails while the certificate is valid", () => {
    const cert = {
      status: {
        conditions: [{ type: "Ready", status: "True" }, failed("renewal: 429 rate limited")],
        notAfter: "2027-03-04T20:00:00Z",
      },
    };
    expect(domainStateOf(cert)).toMatchObject({ status: "active", detail: "renewal: 429 rate limited" });
  });
});

describe("sameState", () => {
  it("compares status, detail and expiry", () => {
    const state = { status: "active" as const, detail: null, notAfter: new Date("2027-01-01T00:00:00Z") };
    expect(sameState({ ...state, notAfter: new Date("2027-01-01T00:00:00Z") }, state)).toBe(true);
    expect(sameState({ ...state, notAfter: null }, state)).toBe(false);
    expect(sameState({ ...state, status: "pending" }, state)).toBe(false);
  });
});
