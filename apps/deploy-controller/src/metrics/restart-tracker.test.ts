import {
  createApp,
  createDeployment,
  type Database,
  ensureAdminUser,
  openTestDatabase,
  queryMetrics,
  schema,
} from "@kli8nt/db";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RestartTracker } from "./restart-tracker.ts";

let database: Database;
beforeAll(async () => {
  database = await openTestDatabase("pglite");
});
afterAll(() => database.close());

describe("RestartTracker", () => {
  it("records each restart of a live release once, in the minute it was seen, not the ones before", async () => {
    const db = database.db;
    const admin = await ensureAdminUser(db);
    const app = await createApp(db, admin.id, {
      name: "crashy",
      repository: { url: "https://example.com/r.git", branch: "main", rootDir: "." },
      port: null,
    });
    const d = await createDeployment(db, app, { trigger: "api" });
    const set = (restarts: number) =>
      db.update(schema.deployments).set({ state: "live", restarts }).where(eq(schema.deployments.id, d.id));
    await set(4);
    const tracker = new RestartTracker(db);
    const t0 = new Date("2026-12-01T10:00:10Z");
    expect(await tracker.track(t0)).toBe(0);
    await set(6);
    expect(await tracker.track(new Date("2026-12-01T10:01:10Z"))).toBe(2);
    expect(await tracker.track(new Date("2026-12-01T10:02:10Z"))).toBe(0);
    await set(7);
    expect(await tracker.track(new Date("2026-12-01T10:02:40Z"))).toBe(1);
    const points = await queryMetrics(db, app.id, {
      from: new Date("2026-12-01T10:00:00Z"),
      to: new Date("2026-12-01T10:05:00Z"),
      stepSeconds: 60,
    });
    expect(points.map((p) => [p.t.toISOString(), p.restarts])).toEqual([
      ["2026-12-01T10:01:00.000Z", 2],
      ["2026-12-01T10:02:00.000Z", 1],
    ]);
  });
});
