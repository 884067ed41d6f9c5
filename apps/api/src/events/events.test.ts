import cookie from "@fastify/cookie";
import websocket from "@fastify/websocket";
import { type Bus, type Consumer, createBus } from "@kli8nt/bus";
import type { DeploymentState } from "@kli8nt/core";
import { createSession, deleteSession } from "@kli8nt/db";
import { eventually } from "@kli8nt/testkit";
import Fastify from "fastify";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startInformConsumer } from "../inform/inform-consumer.ts";
import { installAuth } from "../plugins/auth.ts";
import { installProblemJson } from "../plugins/problem-json.ts";
import { openEventsTab, progressMessage, type Tab } from "../test/events-tab.ts";
import { bearer, createAppVia, deployVia, type Harness, startHarness } from "../test/harness.ts";
import { eventRoutes } from "./event-routes.ts";

// The real api (PGlite in memory) listening on a port, the real INFORM consumer on the in-process bus, and
// real `ws` clients: what a browser tab sees on /api/events, and what it must never see.
let h: Harness;
let bus: Bus;
let consumer: Consumer;
let base: string;
const opened: WebSocket[] = [];

beforeAll(async () => {
  h = await startHarness();
  bus = await createBus({ kind: "memory" });
  consumer = await startInformConsumer({
    db: h.database.db,
    bus,
    logger: pino({ level: "silent" }),
    events: h.events,
  });
  base = (await h.app.listen({ host: "127.0.0.1", port: 0 })).replace("http://", "ws://");
});
afterAll(async () => {
  for (const ws of opened) ws.terminate();
  await consumer?.cancel();
  await bus?.close();
  await h?.close();
});

/** A tab on this suite's api. */
const connect = (headers: Record<string, string>): Promise<Tab> => openEventsTab(base, headers, opened);
const progress = progressMessage;

/** Publishes each state once the previous one was recorded, as a controller's steps come seconds apart. */
async function inform(
  d: { id: string; appId: string },
  states: readonly DeploymentState[],
  token = h.alice.token,
): Promise<void> {
  for (const state of states) {
    await bus.publish("INFORM", {
      id: `${d.id}:${state}`,
      type: "DeploymentProgress.v1",
      body: progress(d.id, d.appId, state),
    });
    await eventually(
      `${d.id} ${state}`,
      async () => {
        const res = await h.app.inject({ url: `/api/deployments/${d.id}`, headers: bearer(token) });
        return res.json<{ state: string }>().state === state ? true : undefined;
      },
      5000,
      10,
    );
  }
}

const createApp = (token: string, name: string) => createAppVia(h.app, token, name);
const deploy = (token: string, name: string) => deployVia(h.app, token, name);

const statesOf = (tab: Tab, id: string) =>
  tab.got.filter((e) => e.deployment?.id === id).map((e) => e.deployment?.state);
const mentions = (tab: Tab, text: string) => tab.got.some((e) => JSON.stringify(e).includes(text));
const RANK = ["queued", "building", "built", "deploying", "live", "superseded"];

describe("/api/events", () => {
  it("pushes the INFORM progress of a deploy to every tab of its owner, in order, and nothing to others", async () => {
    const aliceTab1 = await connect(bearer(h.alice.token));
    const aliceTab2 = await connect(bearer(h.alice.token));
    const bobTab = await connect(bearer(h.bob.token));
    const appId = await createApp(h.alice.token, "evt-alice");
    await aliceTab1.until((e) => e.type === "app" && (e.app as { name: string }).name === "evt-alice");

    const id = await deploy(h.alice.token, "evt-alice");
    await inform({ id, appId }, ["building", "built", "deploying", "live"]);
    for (const tab of [aliceTab1, aliceTab2]) {
      const live = await tab.until((e) => e.deployment?.id === id && e.deployment.state === "live");
      expect(live).toMatchObject({ type: "deployment", app: "evt-alice", deployment: { number: 1 } });
      // Reads coalesce, so a state may be skipped, but never one sent out of order.
      const states = statesOf(tab, id).map((s) => RANK.indexOf(String(s)));
      expect(states).toEqual([...states].sort((a, b) => a - b));
      expect(states[0]).toBe(0);
    }

    // Bob's own deploy reaches Bob alone.
    const bobAppId = await createApp(h.bob.token, "evt-bob");
    const bobDeploy = await deploy(h.bob.token, "evt-bob");
    await inform({ id: bobDeploy, appId: bobAppId }, ["building"], h.bob.token);
    await bobTab.until((e) => e.deployment?.id === bobDeploy && e.deployment.state === "building");
    await h.events.settled();
    expect(mentions(bobTab, "evt-alice") || mentions(bobTab, id) || mentions(bobTab, appId)).toBe(false);
    expect(mentions(aliceTab1, "evt-bob") || mentions(aliceTab1, bobDeploy)).toBe(false);
    expect(h.eventErrors).toEqual([]);
  });

  it("sends the previous release as superseded when a new one goes live, and deleted apps", async () => {
    const tab = await connect(bearer(h.alice.token));
    const appId = await createApp(h.alice.token, "evt-two");
    const v1 = await deploy(h.alice.token, "evt-two");
    await inform({ id: v1, appId }, ["building", "built", "deploying", "live"]);
    await tab.until((e) => e.deployment?.id === v1 && e.deployment.state === "live");
    const v2 = await deploy(h.alice.token, "evt-two");
    await inform({ id: v2, appId }, ["building", "built", "deploying", "live"]);
    await tab.until((e) => e.deployment?.id === v1 && e.deployment.state === "superseded");
    await tab.until((e) => e.deployment?.id === v2 && e.deployment.state === "live");

    const deleted = await h.app.inject({
      method: "DELETE",
      url: "/api/apps/evt-two",
      headers: bearer(h.alice.token),
    });
    expect(deleted.statusCode).toBe(204);
    await tab.until((e) => e.type === "app-deleted" && e.app === "evt-two");
  });

  it("tells the owner's tabs alone when metric points of an app were stored, by name and without figures", async () => {
    const aliceTab = await connect(bearer(h.alice.token));
    const bobTab = await connect(bearer(h.bob.token));
    const appId = await createApp(h.alice.token, "evt-metrics");
    h.events.metricsChanged(appId);
    const got = await aliceTab.until((e) => e.type === "metrics-updated");
    expect(got).toEqual({ type: "metrics-updated", app: "evt-metrics" });
    // A deleted app's late points tell nobody.
    h.events.metricsChanged("00000000-0000-0000-0000-000000000000");
    await h.events.settled();
    expect(bobTab.got.some((e) => e.type === "metrics-updated")).toBe(false);
    expect(h.eventErrors).toEqual([]);
  });

  it("refuses a connection without credentials before the upgrade, and a plain GET with a problem", async () => {
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${base}/api/events`);
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.on("open", () => resolve(101));
      ws.on("error", () => undefined);
    });
    expect(status).toBe(401);
    // Without the Upgrade header: a problem that says what to do, not an empty 404.
    const plain = await h.app.inject({ url: "/api/events", headers: bearer(h.alice.token) });
    expect(plain.statusCode).toBe(426);
    expect(plain.json()).toMatchObject({ code: "WEBSOCKET_REQUIRED" });
  });

  it("closes a browser session's sockets with 4401 when it signs out, and only that session's", async () => {
    const session = await createSession(h.database.db, h.alice.user.id, 60_000);
    const other = await createSession(h.database.db, h.alice.user.id, 60_000);
    // The dashboard's own origin (the harness's public URL), as a browser on it sends.
    const origin = "http://127.0.0.1:8080";
    const signingOut = await connect({ cookie: `kli8nt_session=${session}`, origin });
    const staying = await connect({ cookie: `kli8nt_session=${other}`, origin });
    const out = await h.app.inject({
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
  });
});

describe("/api/events heartbeat", () => {
  it("closes a socket with 4401 once its session is gone, at the next heartbeat", async () => {
    // The same route and auth on the same database, with a 100 ms heartbeat instead of 30 s.
    const api = Fastify();
    installProblemJson(api);
    await api.register(cookie);
    await api.register(websocket);
    await api.register(
      async (scope) => {
        installAuth(scope, { db: h.database.db, adminToken: undefined, publicUrl: "http://127.0.0.1:8080" });
        await scope.register(eventRoutes({ db: h.database.db, events: h.events, heartbeatMs: 100 }));
      },
      { prefix: "/api" },
    );
    const url = (await api.listen({ host: "127.0.0.1", port: 0 })).replace("http://", "ws://");
    try {
      const session = await createSession(h.database.db, h.alice.user.id, 60_000);
      const ws = new WebSocket(`${url}/api/events`, { headers: { cookie: `kli8nt_session=${session}` } });
      const closed = new Promise<{ code: number; reason: string }>((resolve) =>
        ws.on("close", (code, reason) => resolve({ code, reason: String(reason) })),
      );
      await new Promise((resolve) => ws.once("message", resolve));
      await new Promise((resolve) => setTimeout(resolve, 350));
      expect(ws.readyState).toBe(WebSocket.OPEN); // Pings answered, session valid: it stays.
      await deleteSession(h.database.db, session); // As an expiry or a sign-out elsewhere would.
      expect(await closed).toEqual({
        code: 4401,
        reason: "Your session has expired: sign in again to see live updates",
      });
    } finally {
      await api.close();
    }
  });
});
