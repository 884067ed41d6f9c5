import { newId } from "@kli8nt/core";
import { IS_CI, openTestDatabase, schema, TEST_DATABASE_URL } from "@kli8nt/db";
import { desc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createAppVia, type Harness, startHarness } from "../test/harness.ts";

// Formation and lifecycle routes (ADR 0190) on the real api and a real PostgreSQL database.
let h: Harness;
let shopId: string;

/** A release the deploy controller made live, with the process types its build recorded. */
async function liveRelease(appId: string, processes: Record<string, string | null> | null, number = 1) {
  await h.database.db.insert(schema.deployments).values({
    id: newId("dep"),
    appId,
    number,
    state: "live",
    trigger: "manual",
    ref: "main",
    image: "localhost/kli8nt/test@sha256:0",
    processes,
  });
}

/** The newest AppChanged message the api wrote to the outbox for an app. */
async function lastAppChanged(appId: string) {
  const rows = await h.database.db
    .select()
    .from(schema.outbox)
    .where(eq(schema.outbox.queue, "APP"))
    .orderBy(desc(schema.outbox.seq));
  return rows.map((r) => r.payload as { appId: string; what: string }).find((p) => p.appId === appId);
}

const alice = () => bearer(h.alice.token);
const patch = (name: string, processes: unknown[], headers = alice()) =>
  h.app.inject({ method: "PATCH", url: `/api/apps/${name}/formation`, headers, payload: { processes } });
const formation = async (name: string) =>
  (await h.app.inject({ url: `/api/apps/${name}/formation`, headers: alice() })).json<{
    stopped: boolean;
    processes: { type: string; count: number; memory: string; cpu: string }[];
  }>();

beforeAll(async () => {
  h = await startHarness(
    {
      KLI8NT_MAX_INSTANCES_PER_APP: "4",
      KLI8NT_MAX_INSTANCES_PER_USER: "6",
      KLI8NT_MAX_INSTANCES: "8",
      KLI8NT_MAX_INSTANCE_MEMORY: "2Gi",
    },
    { database: await openTestDatabase("postgres") },
  );
  shopId = await createAppVia(h.app, h.alice.token, "shop");
});
afterAll(async () => h?.close());

describe.skipIf(!TEST_DATABASE_URL && !IS_CI)("formation", () => {
  it("is web alone at the default size before any release", async () => {
    expect(await formation("shop")).toEqual({
      stopped: false,
      processes: [{ type: "web", count: 1, memory: "512Mi", cpu: "0.5", command: null }],
    });
  });

  it("lists the live release's process types, web first", async () => {
    await liveRelease(shopId, { worker: "node worker.js", web: null });
    expect((await formation("shop")).processes.map((p) => p.type)).toEqual(["web", "worker"]);
  });

  it("changes counts and sizes of any subset, and tells the controllers in the same transaction", async () => {
    const res = await patch("shop", [
      { type: "web", count: 2 },
      { type: "worker", memory: "256Mi", cpu: "250m" },
    ]);
    expect(res.statusCode).toBe(200);
    expect(res.json().processes).toEqual([
      { type: "web", count: 2, memory: "512Mi", cpu: "0.5", command: null },
      { type: "worker", count: 1, memory: "256Mi", cpu: "250m", command: "node worker.js" },
    ]);
    expect(await lastAppChanged(shopId)).toMatchObject({ type: "AppChanged", what: "formation" });
    // Only the given fields changed; null goes back to the default.
    await patch("shop", [{ type: "worker", count: 0 }]);
    await patch("shop", [{ type: "web", count: null }]);
    expect((await formation("shop")).processes).toMatchObject([
      { type: "web", count: 1 },
      { type: "worker", count: 0, memory: "256Mi" },
    ]);
  });

  it("refuses a type the release does not have with 422, storing nothing", async () => {
    const before = await h.unpublished();
    const res = await patch("shop", [{ type: "clock", count: 1 }]);
    expect(res.statusCode).toBe(422);
    expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ code: "PROCESS_TYPE_UNKNOWN" });
    expect(res.json().detail).toContain('"clock"');
    expect(res.json().detail).toContain("web, worker");
    expect(await h.unpublished()).toBe(before);
  });

  it.each([
    [{ type: "web", count: -1 }, "count"],
    [{ type: "web", count: 1.5 }, "count"],
    [{ type: "web", memory: "64Mi" }, "smallest"],
    [{ type: "web", memory: "9Gi" }, "largest"],
    [{ type: "web", memory: "512MB" }, "512Mi or 2Gi"],
    [{ type: "web", cpu: "5" }, "largest"],
    [{ type: "web", cpu: "50m" }, "smallest"],
    [{ type: "Web!", count: 1 }, "process type"],
    [{ type: "web", replicas: 2 }, "replicas"],
  ])("refuses %j with 400 problem+json saying %s", async (change, why) => {
    const res = await patch("shop", [change]);
    expect(res.statusCode).toBe(400);
    expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(JSON.stringify(res.json())).toContain(why);
  });

  it("refuses the same type twice and an empty list", async () => {
    expect((await patch("shop", [{ type: "web" }, { type: "web" }])).statusCode).toBe(400);
    expect((await patch("shop", [])).statusCode).toBe(400);
  });

  it("sets, shows and clears web's autoscale (ADR 0207), and refuses it elsewhere or out of bounds", async () => {
    const autoscale = { min: 1, max: 3, targetCpu: 70 };
    const set = await patch("shop", [{ type: "web", autoscale }]);
    expect(set.statusCode).toBe(200);
    expect(set.json().processes[0]).toEqual({
      type: "web",
      count: 1,
      memory: "512Mi",
      cpu: "0.5",
      command: null,
      autoscale,
    });
    expect(await lastAppChanged(shopId)).toMatchObject({ what: "formation" });
    // Its max counts against the instance limits (4 per app here): it is what web may grow to.
    const over = await patch("shop", [{ type: "web", autoscale: { ...autoscale, max: 5 } }]);
    expect(over.statusCode).toBe(403);
    expect(over.headers["content-type"]).toMatch(/^application\/problem\+json/);
    for (const [change, why] of [
      [{ type: "worker", autoscale }, "only web can autoscale"],
      [{ type: "web", autoscale: { min: 3, max: 2, targetCpu: 70 } }, "min must not exceed max"],
      [{ type: "web", autoscale: { min: 1, max: 2, targetCpu: 5 } }, "targetCpu"],
      [{ type: "web", autoscale: { min: 1, max: 2 } }, "targetCpu"],
    ] as const) {
      const res = await patch("shop", [change]);
      expect(res.statusCode).toBe(400);
      expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
      expect(JSON.stringify(res.json())).toContain(why);
    }
    const cleared = await patch("shop", [{ type: "web", autoscale: null }]);
    expect(cleared.json().processes[0]).not.toHaveProperty("autoscale");
  });

  it("keeps other users out: another user's app is not found", async () => {
    const res = await patch("shop", [{ type: "web", count: 2 }], bearer(h.bob.token));
    expect(res.statusCode).toBe(404);
    const get = await h.app.inject({ url: "/api/apps/shop/formation", headers: bearer(h.bob.token) });
    expect(get.statusCode).toBe(404);
    expect((await h.app.inject({ url: "/api/apps/shop/formation" })).statusCode).toBe(401);
  });
});

describe.skipIf(!TEST_DATABASE_URL && !IS_CI)("formation limits from the configuration", () => {
  it("refuses more instances than an app may run, and a size above the instance maximum (403)", async () => {
    const res = await patch("shop", [
      { type: "web", count: 4 },
      { type: "worker", count: 1 },
    ]);
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: "FORMATION_LIMIT" });
    expect(res.json().detail).toContain("KLI8NT_MAX_INSTANCES_PER_APP");
    const big = await patch("shop", [{ type: "web", memory: "4Gi" }]);
    expect(big.statusCode).toBe(403);
    expect(big.json().detail).toContain("KLI8NT_MAX_INSTANCE_MEMORY");
  });

  it("counts every app of the user, and the platform's total", async () => {
    await createAppVia(h.app, h.alice.token, "blog");
    expect((await patch("shop", [{ type: "web", count: 3 }])).statusCode).toBe(200);
    expect((await patch("blog", [{ type: "web", count: 3 }])).statusCode).toBe(200);
    const res = await patch("blog", [{ type: "web", count: 4 }]);
    expect(res.statusCode).toBe(403);
    expect(res.json().detail).toContain("KLI8NT_MAX_INSTANCES_PER_USER");
    await createAppVia(h.app, h.bob.token, "bobs");
    const bobs = await patch("bobs", [{ type: "web", count: 3 }], bearer(h.bob.token));
    expect(bobs.statusCode).toBe(403);
    expect(bobs.json()).toMatchObject({ code: "PLATFORM_CAPACITY" });
    expect(bobs.json().detail).toContain("KLI8NT_MAX_INSTANCES");
    // Scaling down is always allowed.
    expect((await patch("blog", [{ type: "web", count: 1 }])).statusCode).toBe(200);
  });
});

describe.skipIf(!TEST_DATABASE_URL && !IS_CI)("restart, stop, start", () => {
  const post = (name: string, action: string, headers = alice()) =>
    h.app.inject({ method: "POST", url: `/api/apps/${name}/${action}`, headers });

  it("stop keeps the formation and says stopped; start clears it; each tells the controllers", async () => {
    const stopped = await post("shop", "stop");
    expect(stopped.statusCode).toBe(202);
    expect(stopped.json()).toMatchObject({ name: "shop", stopped: true });
    expect(await lastAppChanged(shopId)).toMatchObject({ what: "stop" });
    expect(await formation("shop")).toMatchObject({
      stopped: true,
      processes: [{ type: "web", count: 3 }, {}],
    });
    const app = await h.app.inject({ url: "/api/apps/shop", headers: alice() });
    expect(app.json()).toMatchObject({
      stopped: true,
      formation: [{ type: "web", count: 3 }, { type: "worker" }],
    });

    const started = await post("shop", "start");
    expect(started.statusCode).toBe(202);
    expect(started.json()).toMatchObject({ stopped: false });
    expect(await lastAppChanged(shopId)).toMatchObject({ what: "start" });
  });

  it("restart records when it was asked, for a rolling replacement", async () => {
    const before = Date.now();
    expect((await post("shop", "restart")).statusCode).toBe(202);
    const [row] = await h.database.db
      .select({ restartedAt: schema.apps.restartedAt })
      .from(schema.apps)
      .where(eq(schema.apps.id, shopId));
    expect(row?.restartedAt?.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(await lastAppChanged(shopId)).toMatchObject({ what: "restart" });
  });

  it("start is refused when the app's instances no longer fit the user's limit", async () => {
    expect((await post("shop", "stop")).statusCode).toBe(202);
    expect((await patch("blog", [{ type: "web", count: 4 }])).statusCode).toBe(200);
    const res = await post("shop", "start");
    expect(res.statusCode).toBe(403);
    expect(res.json().detail).toContain("KLI8NT_MAX_INSTANCES_PER_USER");
    expect((await formation("shop")).stopped).toBe(true);
  });

  it("is owner-only", async () => {
    expect((await post("shop", "stop", bearer(h.bob.token))).statusCode).toBe(404);
    expect((await post("nope", "restart")).statusCode).toBe(404);
  });
});
