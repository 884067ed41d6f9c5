import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type FakeGitHub, startFakeGitHub } from "@kli8nt/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGitHubClient } from "./github-client.ts";
import { readWebhook, type WebhookReading } from "./webhook-event.ts";
import { signWebhookBody, verifyWebhookSignature } from "./webhook-signature.ts";

interface Received {
  event: string;
  delivery: string;
  body: string;
  signature: string | undefined;
  reading: WebhookReading;
}

describe("repo webhooks and their signatures (against the fake GitHub)", () => {
  let gh: FakeGitHub;
  let receiver: Server;
  let receiverUrl: string;
  const received: Received[] = [];
  const secret = "whsec-test-0123456789";

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        const signature = req.headers["x-hub-signature-256"];
        received.push({
          event: String(req.headers["x-github-event"]),
          delivery: String(req.headers["x-github-delivery"]),
          body,
          signature: typeof signature === "string" ? signature : undefined,
          reading: readWebhook(secret, req.headers, body),
        });
        const ok = verifyWebhookSignature(secret, body, signature);
        res.writeHead(ok ? 202 : 401).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/github`;
    gh = await startFakeGitHub();
    gh.addUser({ login: "hank" });
    await gh.addRepo({ owner: "hank", name: "app", private: true });
  });
  afterAll(async () => {
    await gh.stop();
    await new Promise((resolve) => receiver.close(resolve));
  });

  it("verifies a signed push delivery and rejects a tampered body, a wrong secret and bad headers", async () => {
    const c = createGitHubClient({ apiUrl: gh.apiUrl, token: gh.issueToken("hank") });
    const hook = await c.createWebhook({ owner: "hank", repo: "app", url: receiverUrl, secret });
    expect(gh.hooks("hank/app").map((h) => h.id)).toEqual([hook.id]);

    const pushed = await gh.push("hank/app", { files: { "index.js": "console.log(2)\n" }, message: "v2" });
    expect(pushed.deliveries.map((d) => d.status)).toEqual([202]);
    const push = received.find((r) => r.event === "push");
    if (!push) throw new Error("no push delivery received");
    expect(push.delivery).toMatch(/^[0-9a-f-]{36}$/);
    const payload = JSON.parse(push.body) as {
      ref: string;
      after: string;
      repository: { full_name: string };
    };
    expect(payload).toMatchObject({ ref: "refs/heads/main", after: pushed.after });
    expect(payload.repository.full_name).toBe("hank/app");

    expect(push.reading).toMatchObject({
      ok: true,
      deliveryId: push.delivery,
      push: { branch: "main", after: pushed.after },
    });
    expect(verifyWebhookSignature(secret, push.body, push.signature)).toBe(true);
    expect(verifyWebhookSignature(secret, Buffer.from(push.body), push.signature)).toBe(true);
    const tampered = push.body.replace(pushed.after, "f".repeat(40));
    expect(tampered).not.toBe(push.body);
    expect(verifyWebhookSignature(secret, tampered, push.signature)).toBe(false);
    expect(verifyWebhookSignature("other-secret", push.body, push.signature)).toBe(false);
    expect(verifyWebhookSignature(secret, push.body, undefined)).toBe(false);
    expect(verifyWebhookSignature(secret, push.body, push.signature?.replace("sha256=", "sha1="))).toBe(
      false,
    );
    expect(verifyWebhookSignature(secret, push.body, `${push.signature}00`)).toBe(false);
    expect(verifyWebhookSignature(secret, push.body, [push.signature ?? ""])).toBe(false);
    expect(verifyWebhookSignature("", push.body, signWebhookBody("", push.body))).toBe(false);
  });

  it("a redelivery carries the same delivery id (so the receiver can deduplicate)", async () => {
    const first = gh.deliveries.find((d) => d.event === "push");
    if (!first) throw new Error("no push delivery recorded");
    const again = await gh.redeliver(first.id);
    expect(again.id).toBe(first.id);
    expect(received.filter((r) => r.delivery === first.id)).toHaveLength(2);
  });

  it("deletes the webhook (repeatably); later pushes deliver nothing", async () => {
    const c = createGitHubClient({ apiUrl: gh.apiUrl, token: gh.issueToken("hank") });
    const [hook] = gh.hooks("hank/app");
    if (!hook) throw new Error("hook missing");
    expect(await c.deleteWebhook("hank", "app", hook.id)).toBe(true);
    expect(await c.deleteWebhook("hank", "app", hook.id)).toBe(false);
    const pushed = await gh.push("hank/app", { message: "after removal" });
    expect(pushed.deliveries).toEqual([]);
  });
});
