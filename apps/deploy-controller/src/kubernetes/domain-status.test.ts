import { describe, expect, it } from "vitest";
import { dnsInstruction, domainStateOf } from "./domain-status.ts";

const target = { hostname: "www.example.com", appHost: "shop.apps.example.net" };

describe("domainStateOf", () => {
  it("is pending with the CNAME to create while there is no Certificate or no condition", () => {
    expect(domainStateOf(undefined, target)).toEqual({ status: "pending", detail: dnsInstruction(target) });
    expect(domainStateOf({ status: {} }, target).detail).toMatch(
      /^Create a CNAME record for www\.example\.com to shop\.apps\.example\.net/,
    );
  });

  it("asks an apex domain for an A record", () => {
    expect(dnsInstruction({ hostname: "example.com", appHost: "shop.apps.example.net" })).toMatch(
      /an A \(or ALIAS\) record for example\.com/,
    );
  });

  it("is pending while issuing (Ready False, Issuing True)", () => {
    const cert = {
      status: {
        conditions: [
          {
            type: "Ready",
            status: "False",
            reason: "DoesNotExist",
            message: "Issuing certificate as Secret does not exist",
          },
          { type: "Issuing", status: "True", reason: "DoesNotExist" },
        ],
      },
    };
    expect(domainStateOf(cert, target).status).toBe("pending");
  });

  it("is active once Ready, with the expiry", () => {
    const cert = {
      status: {
        conditions: [{ type: "Ready", status: "True", reason: "Ready" }],
        notAfter: "2027-03-04T20:00:00Z",
      },
    };
    expect(domainStateOf(cert, target)).toEqual({
      status: "active",
      detail: "Certificate issued, valid until 2027-03-04T20:00:00Z; HTTP redirects to HTTPS",
    });
  });

  it("is an error with the ACME server's reason once issuance failed", () => {
    const message =
      'The certificate request has failed to complete and will be retried: order is in "invalid" state: 403 urn:ietf:params:acme:error:unauthorized';
    const cert = {
      status: {
        conditions: [
          { type: "Ready", status: "False", reason: "DoesNotExist" },
          { type: "Issuing", status: "False", reason: "Failed", message },
        ],
      },
    };
    const state = domainStateOf(cert, target);
    expect(state.status).toBe("error");
    expect(state.detail).toContain(message);
    expect(state.detail).toContain("CNAME");
  });
});
