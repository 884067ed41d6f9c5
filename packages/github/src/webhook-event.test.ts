import { describe, expect, it } from "vitest";
import { pushToBranch, readWebhook } from "./webhook-event.ts";
import { signWebhookBody } from "./webhook-signature.ts";

const secret = "s3cret";
const sha = "a".repeat(40);
const push = {
  ref: "refs/heads/main",
  before: "0".repeat(40),
  after: sha,
  deleted: false,
  repository: { id: 7, full_name: "o/r" },
  pusher: { name: "o" },
};

function signed(body: string, extra: Record<string, string> = {}) {
  return {
    "x-hub-signature-256": signWebhookBody(secret, body),
    "x-github-event": "push",
    "x-github-delivery": "d-1",
    ...extra,
  };
}

describe("readWebhook", () => {
  it("reads a signed push to a branch", () => {
    const body = JSON.stringify(push);
    expect(readWebhook(secret, signed(body), body)).toEqual({
      ok: true,
      event: "push",
      deliveryId: "d-1",
      push: {
        repoId: 7,
        repoFullName: "o/r",
        branch: "main",
        before: "0".repeat(40),
        after: sha,
        pusher: "o",
      },
    });
  });

  it("refuses a bad signature before looking at the body", () => {
    const body = JSON.stringify(push);
    const headers = signed(body);
    expect(readWebhook(secret, headers, body.replace("main", "prod"))).toEqual({
      ok: false,
      reason: "bad-signature",
    });
    expect(
      readWebhook(secret, { ...headers, "x-hub-signature-256": undefined } as never, body),
    ).toMatchObject({
      ok: false,
    });
    expect(readWebhook(secret, signed("not json"), "not json")).toEqual({ ok: false, reason: "bad-json" });
  });

  it("needs event and delivery headers; other events carry no push", () => {
    const body = JSON.stringify(push);
    expect(readWebhook(secret, signed(body, { "x-github-delivery": "" }), body)).toEqual({
      ok: false,
      reason: "missing-headers",
    });
    expect(readWebhook(secret, signed(body, { "x-github-event": "issues" }), body)).toEqual({
      ok: true,
      event: "issues",
      deliveryId: "d-1",
    });
  });

  it("ignores tags, deleted branches and malformed pushes", () => {
    expect(pushToBranch({ ...push, ref: "refs/tags/v1" })).toBeUndefined();
    expect(pushToBranch({ ...push, deleted: true, after: "0".repeat(40) })).toBeUndefined();
    expect(pushToBranch({ ...push, after: "xyz" })).toBeUndefined();
    expect(pushToBranch({ ...push, repository: {} })).toBeUndefined();
    expect(pushToBranch(null)).toBeUndefined();
    expect(pushToBranch({ ...push, ref: "refs/heads/feature/x" })?.branch).toBe("feature/x");
  });
});
