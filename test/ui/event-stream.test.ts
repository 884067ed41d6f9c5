import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventStream, type PlatformEvent } from "../../apps/web/src/live/event-stream.ts";
import type { StreamStatus } from "../../apps/web/src/live/socket-like.ts";
import { startUiServer, type UiServer } from "./ui-server.ts";
import { until, wsSocket } from "./ws-socket.ts";

const WAIT_MS = 10_000;

// The client half of ADR 0096 against the real api, INFORM consumer and events socket (no browser needed).
describe("EventStream against the api's events WebSocket", () => {
  let server: UiServer;
  let token: string;
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${server.url}/api${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return (await res.json()) as T;
  };

  beforeAll(async () => {
    server = await startUiServer();
    token = await server.apiToken();
    await call("POST", "/apps", {
      name: "pushed",
      repository: { url: "https://github.com/acme/pushed", branch: "main" },
    });
  });
  afterAll(async () => server?.close());

  it("is live after ready, follows a deploy, and after a cut resyncs so a change made meanwhile is seen", async () => {
    const events: PlatformEvent[] = [];
    const statuses: StreamStatus["state"][] = [];
    let resyncs = 0;
    const stream = new EventStream({
      url: `${server.url.replace("http", "ws")}/api/events`,
      connect: (url) => wsSocket(url, { authorization: `Bearer ${token}` }),
      onEvent: (e) => events.push(e),
      onResync: () => {
        resyncs += 1;
      },
      onStatus: (s) => statuses.push(s.state),
      maxDelayMs: 500,
    });
    stream.start();
    try {
      await until("the first resync", () => resyncs === 1, WAIT_MS);
      expect(statuses).toEqual(["connecting", "live"]);

      const d = await call<{ id: string }>("POST", "/apps/pushed/deployments", {});
      await server.advance(d.id, ["building"]);
      const stateOf = (id: string) =>
        events.flatMap((e) =>
          e.type === "deployment" && e.deployment.id === id ? [e.deployment.state] : [],
        );
      await until("building pushed", () => stateOf(d.id).includes("building"), WAIT_MS);
      expect(stateOf(d.id)[0]).toBe("queued");

      // The socket dies; the build fails before the client is back: no event can carry that.
      server.dropEventSockets();
      await server.advance(d.id, ["failed"], { reason: "exit 1" });
      await until("the resync after the reconnect", () => resyncs === 2, WAIT_MS);
      expect(statuses.slice(2)).toEqual(["reconnecting", "connecting", "live"]);
      // What a page does on resync: fetch. The failure is there, with its reason.
      const now = await call<{ state: string; reason: string }>("GET", `/deployments/${d.id}`);
      expect(now).toMatchObject({ state: "failed", reason: "exit 1" });
    } finally {
      stream.stop();
    }
  });

  it("stops for good on 4401 when the browser session signs out", async () => {
    const signIn = await fetch(await server.signInUrl(), { redirect: "manual" });
    const cookie = (signIn.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const statuses: StreamStatus[] = [];
    let resyncs = 0;
    const stream = new EventStream({
      url: `${server.url.replace("http", "ws")}/api/events`,
      connect: (url) => wsSocket(url, { cookie, origin: server.url }),
      onEvent: () => undefined,
      onResync: () => {
        resyncs += 1;
      },
      onStatus: (s) => statuses.push(s),
      maxDelayMs: 200,
    });
    stream.start();
    try {
      await until("live", () => resyncs === 1, WAIT_MS);
      await fetch(`${server.url}/api/auth/logout`, {
        method: "POST",
        headers: { cookie, origin: server.url },
      });
      await until("closed", () => statuses.at(-1)?.state === "closed", WAIT_MS);
      expect(statuses.at(-1)).toEqual({
        state: "closed",
        reason: "Signed out: sign in again to see live updates",
      });
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(statuses.at(-1)?.state).toBe("closed"); // No reconnect loop.
    } finally {
      stream.stop();
    }
  });
});
