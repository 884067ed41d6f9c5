import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { MemoryBus } from "@kli8nt/bus";
import type { DeploymentProgress } from "@kli8nt/core";
import { createApiToken, createUser, type Database, IN_MEMORY, openDatabase, SecretBox } from "@kli8nt/db";
import type { FastifyInstance } from "fastify";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApi } from "../app.ts";
import { loadConfig } from "../config.ts";
import { startInformConsumer } from "../inform/inform-consumer.ts";
import { bearer, createAppVia, deployVia } from "../test/harness.ts";
import { DeliveryWorker } from "./delivery-worker.ts";
import { recordDeploymentEvents } from "./deployment-events.ts";
import { type HttpReceiver, type SmtpReceiver, startHttpReceiver, startSmtpReceiver } from "./receivers.ts";
import { SIGNATURE_HEADER } from "./senders.ts";

// The real api, INFORM consumer and delivery worker on PGlite, sending to real receivers: HTTP servers on
// 127.0.0.1 (one answering 500) and an SMTP server. Nothing of ours is mocked.
const POLICY = { maxAttempts: 3, baseDelayMs: 150, maxDelayMs: 5_000, pollMs: 50 };
const ENV_SECRET = "s3cr3t-database-password-value";

let database: Database;
let box: SecretBox;
let api: FastifyInstance;
let worker: DeliveryWorker;
let bus: MemoryBus;
let token: string;
let hook: HttpReceiver;
let slack: HttpReceiver;
let broken: HttpReceiver;
let smtp: SmtpReceiver;
const logger = pino({ level: "silent" });

function newWorker(smtpUrl: string): DeliveryWorker {
  return new DeliveryWorker({
    db: database.db,
    box,
    logger,
    // The receivers are on 127.0.0.1: allowed here as an operator would (destination-guard.test.ts refuses).
    senders: {
      smtpUrl,
      smtpFrom: "Kli8nt <kli8nt@example.test>",
      timeoutMs: 5_000,
      allowPrivateNetworks: true,
    },
    policy: POLICY,
  });
}

beforeAll(async () => {
  [hook, slack, broken, smtp] = await Promise.all([
    startHttpReceiver(200),
    startHttpReceiver(200),
    startHttpReceiver(500),
    startSmtpReceiver(),
  ]);
  database = await openDatabase({ dataDir: IN_MEMORY });
  box = new SecretBox(randomBytes(32));
  const config = loadConfig({
    KLI8NT_DATA_DIR: "/tmp/kli8nt-test-unused",
    KLI8NT_RATE_LIMIT_PER_MINUTE: "1000000",
    KLI8NT_SMTP_URL: smtp.url,
    KLI8NT_NOTIFY_PRIVATE_NETWORKS: "true",
  });
  worker = newWorker(smtp.url);
  api = await buildApi({
    config,
    db: database.db,
    box,
    onOutboxWrite: () => undefined,
    notifications: worker,
  });
  const user = await createUser(database.db, { login: "carol" });
  token = (await createApiToken(database.db, user.id, "test")).token;
  bus = new MemoryBus();
  await startInformConsumer({
    db: database.db,
    bus,
    logger,
    notify: async (id) => {
      if ((await recordDeploymentEvents(database.db, id)) > 0) worker.kick();
    },
  });
  worker.start();
});

afterAll(async () => {
  await worker?.stop();
  await bus?.close();
  await api?.close();
  await database?.close();
  await Promise.all([hook?.close(), slack?.close(), broken?.close(), smtp?.close()]);
});

const post = (url: string, payload: unknown) =>
  api.inject({ method: "POST", url, headers: bearer(token), payload: payload as object });

async function until<T>(what: string, probe: () => T | undefined | false, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function failedDeliveries(url: string): Promise<{ state: string }[]> {
  for (let i = 0; i < 100; i++) {
    const items = (await api.inject({ url, headers: bearer(token) })).json<{ items: { state: string }[] }>()
      .items;
    if (items[0]?.state === "failed") return items;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("the delivery never failed");
}

function failed(deploymentId: string, appId: string): DeploymentProgress {
  return {
    type: "DeploymentProgress",
    version: 1,
    deploymentId,
    appId,
    step: "build",
    state: "failed",
    reason: "npm ci exited with 1",
    url: null,
    image: null,
    commitSha: null,
    at: new Date().toISOString(),
  };
}

describe("notifications of a failed deploy", () => {
  it("reach a signed webhook once, Slack, e-mail, and retry a 500 with backoff until failed", async () => {
    const appId = await createAppVia(api, token, "notify-app");
    const env = await api.inject({
      method: "PUT",
      url: "/api/apps/notify-app/env",
      headers: bearer(token),
      payload: { vars: [{ key: "DATABASE_PASSWORD", value: ENV_SECRET, secret: true }] },
    });
    expect(env.statusCode).toBe(200);
    const base = "/api/apps/notify-app/notifications";
    const webhook = await post(base, { type: "webhook", url: hook.url, events: ["deploy.failed"] });
    expect(webhook.statusCode).toBe(201);
    const { secret, id: webhookId } = webhook.json<{ secret: string; id: string; target: string }>();
    expect(secret).toMatch(/^whsec_/);
    expect(webhook.json<{ target: string }>().target).toBe(new URL(hook.url).origin);
    expect((await post(base, { type: "slack", url: slack.url })).statusCode).toBe(201);
    expect((await post(base, { type: "email", to: "ops@example.test" })).statusCode).toBe(201);
    const bad = await post(base, { type: "webhook", url: broken.url });
    const brokenId = bad.json<{ id: string }>().id;
    // The secret is shown once: the list never has it.
    const list = await api.inject({ url: base, headers: bearer(token) });
    expect(list.json<{ items: unknown[] }>().items).toHaveLength(4);
    expect(list.body).not.toContain(secret);

    const deploymentId = await deployVia(api, token, "notify-app");
    const message = failed(deploymentId, appId);
    await bus.publish("INFORM", { id: "m1", type: "DeploymentProgress", body: message });
    // Redelivered: still one delivery per destination.
    await bus.publish("INFORM", { id: "m2", type: "DeploymentProgress", body: message });

    const [delivery] = await until("the webhook delivery", () => hook.received.length > 0 && hook.received);
    const expected = `sha256=${createHmac("sha256", secret)
      .update(delivery?.body ?? "")
      .digest("hex")}`;
    const signature = String(delivery?.headers[SIGNATURE_HEADER]);
    expect(timingSafeEqual(Buffer.from(signature), Buffer.from(expected))).toBe(true);
    expect(delivery?.headers["x-kli8nt-event"]).toBe("deploy.failed");
    const payload = JSON.parse(delivery?.body ?? "{}") as Record<string, unknown>;
    expect(payload).toMatchObject({
      event: "deploy.failed",
      app: { name: "notify-app" },
      deployment: { id: deploymentId, state: "failed", reason: "npm ci exited with 1" },
    });

    const [chat] = await until("the Slack delivery", () => slack.received.length > 0 && slack.received);
    expect(JSON.parse(chat?.body ?? "{}")).toEqual({
      text: "notify-app v1 failed to deploy: npm ci exited with 1",
    });
    const [mail] = await until("the e-mail", () => smtp.mails.length > 0 && smtp.mails);
    expect(mail?.to).toEqual(["ops@example.test"]);
    expect(mail?.raw).toContain("Subject: [Kli8nt] notify-app v1 failed to deploy");

    // 500 three times, the waits doubling (150 ms, then 300 ms), then failed with the last answer.
    await until("three attempts", () => broken.received.length >= 3);
    const deliveries = await failedDeliveries(`${base}/${brokenId}/deliveries`);
    expect(deliveries).toEqual([
      expect.objectContaining({ event: "deploy.failed", state: "failed", attempts: 3, lastStatus: 500 }),
    ]);
    const [a, b, c] = broken.received.map((r) => r.at);
    expect((b ?? 0) - (a ?? 0)).toBeGreaterThanOrEqual(POLICY.baseDelayMs);
    expect((c ?? 0) - (b ?? 0)).toBeGreaterThanOrEqual(2 * POLICY.baseDelayMs);

    // Exactly one of each, even after the redelivered message and a few more passes.
    await new Promise((r) => setTimeout(r, 300));
    expect(hook.received).toHaveLength(1);
    expect(slack.received).toHaveLength(1);
    expect(smtp.mails).toHaveLength(1);
    expect(broken.received).toHaveLength(3);
    for (const body of [...hook.received, ...slack.received, ...broken.received].map((r) => r.body))
      expect(body).not.toContain(ENV_SECRET);
    expect(mail?.raw).not.toContain(ENV_SECRET);
    const ok = await api.inject({ url: `${base}/${webhookId}/deliveries`, headers: bearer(token) });
    expect(ok.json<{ items: unknown[] }>().items).toEqual([
      expect.objectContaining({ state: "delivered", attempts: 1, lastStatus: 200 }),
    ]);
  }, 30_000);

  it("keeps a queued delivery across a restart of the worker, and sends a test on request", async () => {
    const base = "/api/apps/notify-app/notifications";
    const list = await api.inject({ url: base, headers: bearer(token) });
    const id = list
      .json<{ items: { id: string; type: string }[] }>()
      .items.find((d) => d.type === "slack")?.id;
    await worker.stop();
    const before = slack.received.length;
    const test = await post(`${base}/${id}/test`, {});
    expect(test.statusCode).toBe(202);
    await new Promise((r) => setTimeout(r, 200));
    expect(slack.received).toHaveLength(before);
    // A new worker (as after a restart) finds the row in the database and sends it.
    worker = newWorker(smtp.url);
    worker.start();
    const sent = await until("the test delivery", () => slack.received.length > before && slack.received);
    expect(JSON.parse(sent.at(-1)?.body ?? "{}")).toEqual({
      text: "Test notification from Kli8nt for notify-app",
    });
  });

  it("answers problem+json for a bad body, and 404 for another user's destination", async () => {
    const bad = await post("/api/apps/notify-app/notifications", { type: "webhook", url: "ftp://x" });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers["content-type"]).toMatch(/^application\/problem\+json/);
    const dave = await createUser(database.db, { login: "dave" });
    const daveToken = (await createApiToken(database.db, dave.id, "t")).token;
    const theirs = await api.inject({
      url: "/api/apps/notify-app/notifications",
      headers: bearer(daveToken),
    });
    expect(theirs.statusCode).toBe(404);
  });
});
