import type { DeploymentProgress, DeploymentState } from "@kli8nt/core";
import { type OutboxMessage, relayOutboxBatch, schema } from "@kli8nt/db";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createAppVia, deployVia, type Harness, startHarness } from "../test/harness.ts";
import { applyProgress } from "./apply-progress.ts";

// The real api on PGlite: INFORM messages applied in order, redelivered and reordered; rollback over HTTP.
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());

const progress = (
  deploymentId: string,
  appId: string,
  state: DeploymentState,
  extra: Partial<DeploymentProgress> = {},
): DeploymentProgress => ({
  type: "DeploymentProgress",
  version: 1,
  deploymentId,
  appId,
  step: state === "building" || state === "built" ? "build" : "deploy",
  state,
  reason: null,
  url: null,
  image: null,
  commitSha: null,
  at: new Date().toISOString(),
  ...extra,
});

async function deploy(name: string): Promise<{ id: string; appId: string }> {
  const id = await deployVia(h.app, h.alice.token, name);
  const app = await h.app.inject({ method: "GET", url: `/api/apps/${name}`, headers: bearer(h.alice.token) });
  return { id, appId: app.json<{ id: string }>().id };
}

async function walkToLive(d: { id: string; appId: string }, image: string): Promise<void> {
  for (const state of ["building", "built", "deploying", "live"] as const) {
    await applyProgress(h.database.db, progress(d.id, d.appId, state, state === "built" ? { image } : {}));
  }
}

const stateOf = async (id: string) =>
  (
    await h.app.inject({ method: "GET", url: `/api/deployments/${id}`, headers: bearer(h.alice.token) })
  ).json<{ state: string; image: string | null; trigger: string }>();

describe("INFORM consumer", () => {
  it("moves rows forward once, ignores stale messages, supersedes the previous live release", async () => {
    await createAppVia(h.app, h.alice.token, "inform-app");
    const v1 = await deploy("inform-app");
    expect((await applyProgress(h.database.db, progress(v1.id, v1.appId, "building"))).applied).toBe(
      "building",
    );
    expect((await applyProgress(h.database.db, progress(v1.id, v1.appId, "building"))).applied).toBeNull();
    await walkToLive(v1, "img1");
    expect(await stateOf(v1.id)).toMatchObject({ state: "live", image: "img1" });

    const v2 = await deploy("inform-app");
    await walkToLive(v2, "img2");
    expect((await stateOf(v1.id)).state).toBe("superseded");
    expect((await stateOf(v2.id)).state).toBe("live");

    // A late redelivery of v1's "live" neither revives v1 nor supersedes v2.
    expect(await applyProgress(h.database.db, progress(v1.id, v1.appId, "live"))).toEqual({
      applied: null,
      superseded: [],
    });
    expect((await stateOf(v2.id)).state).toBe("live");
    expect((await applyProgress(h.database.db, progress(v2.id, v2.appId, "building"))).applied).toBeNull();
  });

  it("rolls back to a superseded release with its image and port, and refuses live or failed targets", async () => {
    await createAppVia(h.app, h.alice.token, "rb-app");
    const v1 = await deploy("rb-app");
    // What the deploy controller records when it takes the release's DeployRequested (deployments.port).
    await h.database.db
      .update(schema.deployments)
      .set({ port: 8080 })
      .where(eq(schema.deployments.id, v1.id));
    await walkToLive(v1, "imgA");
    const v2 = await deploy("rb-app");
    await walkToLive(v2, "imgB");
    const v3 = await deploy("rb-app");
    await applyProgress(h.database.db, progress(v3.id, v3.appId, "failed", { reason: "boom" }));

    const post = (deploymentId: string) =>
      h.app.inject({
        method: "POST",
        url: "/api/apps/rb-app/rollback",
        headers: bearer(h.alice.token),
        payload: { deploymentId },
      });
    expect((await post(v2.id)).json<{ code: string }>().code).toBe("ROLLBACK_TARGET_LIVE");
    expect((await post(v3.id)).statusCode).toBe(409);
    expect(
      (
        await h.app.inject({
          method: "POST",
          url: "/api/apps/rb-app/rollback",
          headers: bearer(h.bob.token),
          payload: { deploymentId: v1.id },
        })
      ).statusCode,
    ).toBe(404);

    const published: OutboxMessage[] = [];
    await relayOutboxBatch(h.database.db, async (m) => void published.push(m));
    const res = await post(v1.id);
    expect(res.statusCode).toBe(202);
    const rollback = res.json<{ id: string; number: number }>();
    expect(await stateOf(rollback.id)).toMatchObject({ state: "queued", image: "imgA", trigger: "rollback" });
    expect(rollback.number).toBe(4);
    await relayOutboxBatch(h.database.db, async (m) => void published.push(m));
    const deployMessage = published.find(
      (m) => m.queue === "DEPLOY" && (m.payload as { deploymentId: string }).deploymentId === rollback.id,
    );
    expect(deployMessage?.payload).toMatchObject({ image: "imgA", port: 8080, appName: "rb-app" });
    expect(
      published.some(
        (m) => m.queue === "BUILD" && (m.payload as { deploymentId: string }).deploymentId === rollback.id,
      ),
    ).toBe(false);
  });
});
