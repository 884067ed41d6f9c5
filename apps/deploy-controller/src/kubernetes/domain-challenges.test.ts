import { describe, expect, it } from "vitest";
import { type AcmeChallenge, type AcmeOrder, failingChallenge, withChallenge } from "./domain-challenges.ts";

const ns = "kli8nt-app-shop";
const cert = (revision?: number) => ({
  metadata: { name: "shop-www", namespace: ns },
  ...(revision === undefined ? {} : { status: { revision } }),
});
const order = (name: string, revision: string, created: string, certificate = "shop-www"): AcmeOrder => ({
  metadata: {
    name,
    namespace: ns,
    creationTimestamp: created as unknown as Date,
    annotations: {
      "cert-manager.io/certificate-name": certificate,
      "cert-manager.io/certificate-revision": revision,
    },
  },
});
const challenge = (
  owner: string,
  status: NonNullable<AcmeChallenge["status"]>,
  created = "2026-12-04T20:00:00Z",
): AcmeChallenge => ({
  metadata: {
    name: `${owner}-1`,
    namespace: ns,
    creationTimestamp: created as unknown as Date,
    ownerReferences: [{ apiVersion: "acme.cert-manager.io/v1", kind: "Order", name: owner, uid: "u" }],
  },
  status,
});
const failing = { state: "pending", reason: "failed to perform self check GET request" };

describe("failingChallenge", () => {
  it("reads the challenge of the newest order for the revision being issued", () => {
    const orders = [
      order("o-old", "1", "2026-12-04T19:00:00Z"),
      order("o-new", "1", "2026-12-04T20:00:00Z"),
      order("o-rev2", "2", "2026-12-04T20:00:00Z"),
    ];
    const chs = [challenge("o-old", { state: "pending", reason: "old" }), challenge("o-new", failing)];
    expect(failingChallenge(cert(), orders, chs)?.status?.reason).toBe(failing.reason);
    // Issued once already (revision 1): a renewal's order is revision 2, which has no challenge here.
    expect(failingChallenge(cert(1), orders, chs)).toBeUndefined();
  });

  it("ignores other certificates' orders, valid challenges and challenges without a reason", () => {
    const orders = [order("o", "1", "2026-12-04T20:00:00Z", "shop-api")];
    expect(failingChallenge(cert(), orders, [challenge("o", failing)])).toBeUndefined();
    const mine = [order("o", "1", "2026-12-04T20:00:00Z")];
    expect(failingChallenge(cert(), mine, [challenge("o", { state: "valid", reason: "x" })])).toBeUndefined();
    expect(
      failingChallenge(cert(), mine, [challenge("o", { state: "pending", reason: " " })]),
    ).toBeUndefined();
  });
});

describe("withChallenge", () => {
  const pending = { status: "pending", detail: null, notAfter: null } as const;
  const ch = challenge("o", { state: "pending", reason: "no such\n  host" }, "2026-12-04T20:00:00Z");

  it("puts the reason, on one line, into a pending domain's detail within the grace", () => {
    expect(withChallenge(pending, ch, new Date("2026-12-04T20:09:59Z"))).toEqual({
      status: "pending",
      detail: "no such host",
      notAfter: null,
    });
  });

  it("turns error once the challenge has failed for the grace, with a text that does not change", () => {
    const error = {
      status: "error",
      detail: "the ACME challenge has not passed for over 10 minutes: no such host",
      notAfter: null,
    };
    expect(withChallenge(pending, ch, new Date("2026-12-04T20:10:00Z"))).toEqual(error);
    expect(withChallenge(pending, ch, new Date("2026-12-05T08:00:00Z"))).toEqual(error);
  });

  it("leaves other states and pending without a challenge as they are", () => {
    const active = { status: "active", detail: null, notAfter: new Date("2027-01-01T00:00:00Z") } as const;
    expect(withChallenge(active, ch, new Date("2026-12-05T00:00:00Z"))).toBe(active);
    expect(withChallenge(pending, undefined, new Date())).toBe(pending);
  });
});
