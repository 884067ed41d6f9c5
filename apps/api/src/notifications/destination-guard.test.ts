import { randomBytes } from "node:crypto";
import {
  createApiToken,
  createDestination,
  createUser,
  type Database,
  enqueueTestNotification,
  IN_MEMORY,
  listDeliveries,
  openDatabase,
  SecretBox,
} from "@kli8nt/db";
import type { FastifyInstance } from "fastify";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApi } from "../app.ts";
import { loadConfig } from "../config.ts";
import { bearer } from "../test/harness.ts";
import { DeliveryWorker } from "./delivery-worker.ts";
import { isPrivateAddress, PRIVATE_DESTINATION, publicOnlyLookup } from "./destination-guard.ts";
import { type HttpReceiver, startHttpReceiver } from "./receivers.ts";

// A tenant's webhook URL must not turn the api into a client of the platform's own network (ADR 0233):
// the real api and delivery worker on PGlite, with the defaults an operator gets, and a real receiver on
// 127.0.0.1 standing for an internal port.
let database: Database;
let box: SecretBox;
let api: FastifyInstance;
let worker: DeliveryWorker;
let internal: HttpReceiver;
let token: string;
let ownerId: string;

beforeAll(async () => {
  internal = await startHttpReceiver(200);
  database = await openDatabase({ dataDir: IN_MEMORY });
  box = new SecretBox(randomBytes(32));
  const config = loadConfig({ KLI8NT_DATA_DIR: "/tmp/kli8nt-test-unused", KLI8NT_LOG_LEVEL: "silent" });
  worker = new DeliveryWorker({
    db: database.db,
    box,
    logger: pino({ level: "silent" }),
    senders: { ...config.notifications, timeoutMs: 5_000 },
    policy: { maxAttempts: 1, baseDelayMs: 50, maxDelayMs: 50, pollMs: 50 },
  });
  api = await buildApi({
    config,
    db: database.db,
    box,
    onOutboxWrite: () => undefined,
    notifications: worker,
  });
  const user = await createUser(database.db, { login: "mallory" });
  ownerId = user.id;
  token = (await createApiToken(database.db, user.id, "test")).token;
  worker.start();
});

afterAll(async () => {
  await worker?.stop();
  await api?.close();
  await database?.close();
  await internal?.close();
});

const add = (url: string) =>
  api.inject({
    method: "POST",
    url: "/api/notifications",
    headers: bearer(token),
    payload: { type: "webhook", url },
  });

describe("notification destinations on private networks", () => {
  it("are off by default", () => {
    expect(loadConfig({ KLI8NT_DATA_DIR: "/tmp/x" }).notifications.allowPrivateNetworks).toBe(false);
  });

  it.each([
    "http://127.0.0.1:6443/",
    "http://localhost:5432/",
    "http://localhost.:5432/",
    "http://api.localhost/",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.7/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://0x7f.1/",
    "http://2130706433/",
    "https://192.168.1.1/",
    "http://[fd00::1]/",
  ])("refuses %s when it is added, saying why", async (url) => {
    const res = await add(url);
    expect(res.statusCode).toBe(422);
    expect(res.headers["content-type"]).toContain("application/problem+json");
    expect(res.json()).toMatchObject({ code: "NOTIFY_DESTINATION_PRIVATE", detail: PRIVATE_DESTINATION });
  });

  it("accepts a public receiver", async () => {
    expect((await add("https://hooks.example.com/kli8nt")).statusCode).toBe(201);
  });

  it("refuses at send time a destination that reaches a private address, and the receiver gets nothing", async () => {
    // As a name whose DNS later answers 127.0.0.1 would (rebinding): stored, then caught on the way out.
    const { destination } = await createDestination(database.db, box, {
      ownerId,
      appId: null,
      kind: "webhook",
      target: internal.url,
      events: ["deploy.failed"],
    });
    await enqueueTestNotification(database.db, destination, { event: "notification.test" });
    worker.kick();
    let state = "";
    let lastError: string | null = null;
    for (let i = 0; i < 200 && state !== "failed"; i++) {
      await new Promise((r) => setTimeout(r, 25));
      const [delivery] = await listDeliveries(database.db, destination.id);
      state = delivery?.state ?? "";
      lastError = delivery?.lastError ?? null;
    }
    expect(state).toBe("failed");
    expect(lastError).toBe(PRIVATE_DESTINATION);
    expect(internal.received).toHaveLength(0);
  });

  it("checks the address a name resolves to", async () => {
    const error = await new Promise<Error | null>((resolve) =>
      publicOnlyLookup("localhost", {}, (e) => resolve(e as Error | null)),
    );
    expect(error?.message).toBe(PRIVATE_DESTINATION);
  });

  it.each([
    ["127.0.0.1", true],
    ["169.254.169.254", true],
    ["100.64.1.1", true],
    ["172.31.255.255", true],
    ["::", true],
    ["::ffff:10.0.0.1", true],
    ["::ffff:7f00:1", true],
    ["::ffff:5db8:d70e", false],
    ["::ffff:93.184.215.14", false],
    ["fe80::1", true],
    ["not-an-ip", true],
    ["93.184.215.14", false],
    ["172.32.0.1", false],
    ["2606:4700:4700::1111", false],
  ])("classes %s as private: %s", (address, expected) => {
    expect(isPrivateAddress(address)).toBe(expected);
  });
});
