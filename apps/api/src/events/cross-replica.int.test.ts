import { randomBytes } from "node:crypto";
import { type Bus, type Consumer, createBus } from "@kli8nt/bus";
import {
  createApiToken,
  createSession,
  createUser,
  type Database,
  IN_MEMORY,
  IS_CI,
  openDatabase,
  SecretBox,
  TEST_DATABASE_URL,
} from "@kli8nt/db";
import { eventually } from "@kli8nt/testkit";
import type { FastifyInstance } from "fastify";
import pg from "pg";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { buildApi } from "../app.ts";
import { loadConfig } from "../config.ts";
import { startInformConsumer } from "../inform/inform-consumer.ts";
import { openEventsTab, progressMessage, type Tab } from "../test/events-tab.ts";
import { bearer, createAppVia, deployVia } from "../test/harness.ts";
import { EventHub } from "./event-hub.ts";
import { EVENTS_CHANNEL, PgChangeFeed } from "./pg-change-feed.ts";

// Two api replicas (ADR 0121): each its own pool, LISTEN connection, hub and listening Fastify, on one
// fresh PostgreSQL database. Real `ws` clients on replica B see what replica A's writers announced.
if (!TEST_DATABASE_URL && IS_CI) {
  throw new Error(
    "KLI8NT_TEST_DATABASE_URL is not set: run the suite through `npm test` or `scripts/with-services.sh postgres`, which start PostgreSQL",
  );
}

/** One statement on its own connection, to the server's default database or to `url`. */
const admin = async (text: string, values: unknown[] = [], url = TEST_DATABASE_URL) => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
};

interface Replica {
  readonly app: FastifyInstance;
  readonly database: Database;
  readonly feed: PgChangeFeed;
  readonly events: EventHub;
  readonly base: string;
  readonly logs: { level: string; msg: string }[];
  readonly eventErrors: unknown[];
  close(): Promise<void>;
}

async function startReplica(url: string): Promise<Replica> {
  const config = loadConfig({
    KLI8NT_ADMIN_TOKEN: "test-admin-token-0123456789abcdef0123",
    KLI8NT_DATA_DIR: "/tmp/kli8nt-test-unused",
    KLI8NT_DATABASE_URL: url,
  });
  const database = await openDatabase({ url, dataDir: IN_MEMORY, poolSize: 3 });
  const logs: { level: string; msg: string }[] = [];
  const feed = await PgChangeFeed.start({
    url,
    db: database.db,
    logger: {
      warn: (_obj, msg) => logs.push({ level: "warn", msg }),
      info: (_obj, msg) => logs.push({ level: "info", msg }),
    },
    retryDelayMs: [50, 500],
  });
  const eventErrors: unknown[] = [];
  const events = new EventHub({
    db: database.db,
    appUrlTemplate: config.appUrlTemplate,
    onError: (err) => eventErrors.push(err),
    feed,
  });
  const app = await buildApi({
    config,
    events,
    db: database.db,
    box: new SecretBox(randomBytes(32)),
    onOutboxWrite: () => undefined,
  });
  const base = (await app.listen({ host: "127.0.0.1", port: 0 })).replace("http://", "ws://");
  return {
    app,
    database,
    feed,
    events,
    base,
    logs,
    eventErrors,
    async close() {
      await app.close();
      await feed.close();
      await database.close();
    },
  };
}

const opened: WebSocket[] = [];
/** A tab on `replica`'s /api/events, as a browser opens it. */
const connect = (replica: Replica, headers: Record<string, string>): Promise<Tab> =>
  openEventsTab(replica.base, headers, opened);

const mentions = (tab: Tab, text: string) => tab.got.some((e) => JSON.stringify(e).includes(text));
const readies = (tab: Tab) => tab.got.filter((e) => e.type === "ready").length;

describe.skipIf(!TEST_DATABASE_URL)("/api/events across two api replicas on PostgreSQL", () => {
  const name = `kli8nt_events_${randomBytes(6).toString("hex")}`;
  let a: Replica;
  let b: Replica;
  let bus: Bus;
  let consumer: Consumer;
  let url = "";
  let alice: { id: string; token: string };
  let bob: { id: string; token: string };

  beforeAll(async () => {
    await admin(`CREATE DATABASE ${name}`);
    const u = new URL(TEST_DATABASE_URL ?? "");
    u.pathname = `/${name}`;
    url = u.toString();
    a = await startReplica(url);
    b = await startReplica(url);
    // Replica A alone consumes INFORM, as one of two competing consumers on the queue would.
    bus = await createBus({ kind: "memory" });
    consumer = await startInformConsumer({
      db: a.database.db,
      bus,
      logger: pino({ level: "silent" }),
      events: a.events,
    });
    const make = async (login: string) => {
      const user = await createUser(a.database.db, { login });
      return { id: user.id, token: (await createApiToken(a.database.db, user.id, "test")).token };
    };
    alice = await make("alice");
    bob = await make("bob");
  });

  afterAll(async () => {
    for (const ws of opened) ws.terminate();
    await consumer?.cancel();
    await bus?.close();
    await a?.close();
    await b?.close();
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });

  // Writers are on replica A; the tabs that must hear of it are on B.
  const createApp = (token: string, app: string) => createAppVia(a.app, token, app);
  const deploy = (token: string, app: string) => deployVia(a.app, token, app);

  it("a deploy and its INFORM progress handled on A reach the owner's tab on B as current rows, nobody else's", async () => {
    const aliceOnB = await connect(b, bearer(alice.token));
    const bobOnB = await connect(b, bearer(bob.token));
    const appId = await createApp(alice.token, "x-alice");
    await aliceOnB.until((e) => e.type === "app" && (e.app as { name: string }).name === "x-alice");

    const id = await deploy(alice.token, "x-alice");
    expect(await aliceOnB.until((e) => e.deployment?.id === id)).toMatchObject({
      type: "deployment",
      app: "x-alice",
      deployment: { number: 1, state: "queued" },
    });
    const progress = progressMessage(id, appId, "building");
    await bus.publish("INFORM", { id: `${id}:building`, type: "DeploymentProgress.v1", body: progress });
    await aliceOnB.until((e) => e.deployment?.id === id && e.deployment.state === "building");

    // Bob's own change arrives on B after Alice's: by then anything of Alice's would have too.
    await createApp(bob.token, "x-bob");
    await bobOnB.until((e) => e.type === "app" && (e.app as { name: string }).name === "x-bob");
    expect(mentions(bobOnB, "x-alice") || mentions(bobOnB, id) || mentions(bobOnB, appId)).toBe(false);
    expect(mentions(aliceOnB, "x-bob")).toBe(false);
    expect([...a.eventErrors, ...b.eventErrors]).toEqual([]);
  });

  it("app-deleted and session-ended cross too, each only to whom it concerns", async () => {
    const aliceOnB = await connect(b, bearer(alice.token));
    const bobOnB = await connect(b, bearer(bob.token));
    await createApp(alice.token, "x-gone");
    const del = await a.app.inject({
      method: "DELETE",
      url: "/api/apps/x-gone",
      headers: bearer(alice.token),
    });
    expect(del.statusCode).toBe(204);
    await aliceOnB.until((e) => e.type === "app-deleted" && e.app === "x-gone");

    const session = await createSession(a.database.db, alice.id, 60_000);
    const other = await createSession(a.database.db, alice.id, 60_000);
    // The dashboard's own origin (the default public URL), as a browser on it sends.
    const origin = "http://127.0.0.1:8080";
    const signingOut = await connect(b, { cookie: `kli8nt_session=${session}`, origin });
    const staying = await connect(b, { cookie: `kli8nt_session=${other}`, origin });
    const out = await a.app.inject({
      method: "POST",
      url: "/api/auth/logout",
      headers: { cookie: `kli8nt_session=${session}`, origin },
    });
    expect(out.statusCode).toBe(204);
    expect(await signingOut.closed).toMatchObject({
      code: 4401,
      reason: expect.stringContaining("Signed out"),
    });
    expect(staying.ws.readyState).toBe(WebSocket.OPEN);
    expect(mentions(bobOnB, "x-gone")).toBe(false);
  });

  it("after its LISTEN connection is killed, B reconnects, tells its tabs to resync, and delivers again", async () => {
    const aliceOnB = await connect(b, bearer(alice.token));
    const bobOnB = await connect(b, bearer(bob.token));
    const killed = b.feed.backendPid;
    expect(killed).not.toBeNull();
    const { rows } = await admin("SELECT pg_terminate_backend($1) AS ok", [killed]);
    expect(rows[0].ok).toBe(true);

    // Both users' tabs get a second "ready": what they hold may be stale.
    await eventually("a second ready on every tab", async () =>
      readies(aliceOnB) === 2 && readies(bobOnB) === 2 ? true : undefined,
    );
    expect(b.feed.backendPid).not.toBeNull();
    expect(b.feed.backendPid).not.toBe(killed);
    expect(b.logs.map((l) => l.msg)).toEqual(
      expect.arrayContaining([
        "Events LISTEN connection lost; reconnecting",
        "Events LISTEN connection back; local browsers resync",
      ]),
    );
    // Still one listener per replica on the channel, none leaked.
    const listeners = await admin(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'kli8nt-api-events'",
      [name],
    );
    expect(listeners.rows[0].n).toBe(2);

    await createApp(alice.token, "x-after-kill");
    await aliceOnB.until((e) => e.type === "app" && (e.app as { name: string }).name === "x-after-kill");
  });

  it("ignores malformed notifications on the channel with a warning, and keeps delivering", async () => {
    const aliceOnB = await connect(b, bearer(alice.token));
    // NOTIFY is per database: sent from a session on the api's database, as a stray script would.
    for (const payload of [
      "not json",
      '{"kind":"deployment"}',
      "[1,2]",
      '{"kind":"app-deleted","ownerId":7}',
      "",
    ])
      await admin("SELECT pg_notify($1, $2)", [EVENTS_CHANNEL, payload], url);
    await createApp(alice.token, "x-after-junk");
    await aliceOnB.until((e) => e.type === "app" && (e.app as { name: string }).name === "x-after-junk");
    const ignored = (r: Replica) => r.logs.filter((l) => l.msg === "Ignored a malformed change notification");
    expect(ignored(b)).toHaveLength(5);
    expect(ignored(a)).toHaveLength(5);
    expect(aliceOnB.ws.readyState).toBe(WebSocket.OPEN);
    expect([...a.eventErrors, ...b.eventErrors]).toEqual([]);
  });
});
