import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryBus } from "@kli8nt/bus";
import type { Deployment } from "@kli8nt/core";
import {
  createApp,
  createDeployment,
  type Database,
  deleteApp,
  ensureAdminUser,
  openTestDatabase,
  SecretBox,
  transitionDeployment,
} from "@kli8nt/db";
import { MemoryRouteTable } from "@kli8nt/router";
import { eventually } from "@kli8nt/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDeployController } from "../deploy-controller.ts";
import { loadDeployment } from "../deployment-rows.ts";
import { localRuntime } from "../local/local-runtime.ts";
import { processEngine } from "../process/process-engine.ts";
import { DEFAULT_HEAL } from "./app-reconciler.ts";

// The heal loop on the process runtime (no podman needed; the podman path is test/e2e/heal.int.test.ts):
// a killed release comes back with its restart counted, one that keeps dying is shown as a crash loop
// with its last output, and a deleted app loses its instance and route. Real PGlite, processes, HTTP.
const work = mkdtempSync(join(tmpdir(), "kli8nt-heal-test-"));
const runDir = join(work, "run");
const engine = processEngine({
  runDir,
  hostEnv: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
  stopGraceSeconds: 1,
});
const routes = new MemoryRouteTable();
let database: Database;
let stop: () => Promise<void> = async () => undefined;
const bus = new MemoryBus();

beforeAll(async () => {
  database = await openTestDatabase("pglite");
  const consumer = await startDeployController({
    db: database.db,
    box: new SecretBox(randomBytes(32)),
    bus,
    runtime: localRuntime({
      engine,
      routes,
      logger: { info: () => undefined, warn: () => undefined },
      settings: {
        healthTimeoutMs: 10_000,
        drainMs: 0,
        appUrlTemplate: "http://{app}.localhost:8000",
        ...DEFAULT_HEAL,
        crashBackoffMs: 1500,
        stableMs: 5000,
      },
    }),
    logger: { info: () => undefined, warn: () => undefined },
    onOutboxWrite: () => undefined,
    settings: {},
    resyncMs: 200,
    heal: { crashBackoffMs: 1500, stableMs: 5000 },
  });
  stop = () => consumer.cancel();
});
afterAll(async () => {
  await stop();
  for (const i of await engine.list()) await engine.stop(i.key);
  await bus.close();
  await database.close();
});

/** A release that answers, and (with `dieAfterMs`) prints a last word and exits that long after starting. */
function releaseDir(dieAfterMs?: number): string {
  const dir = join(work, "releases", randomBytes(4).toString("hex"));
  mkdirSync(dir, { recursive: true });
  const die = dieAfterMs
    ? `setTimeout(() => { console.log("out of memory, bye"); process.exit(137); }, ${dieAfterMs});`
    : "";
  writeFileSync(
    join(dir, "server.cjs"),
    `require("node:http").createServer((q, s) => s.end("up")).listen(+process.env.PORT, "127.0.0.1");${die}`,
  );
  writeFileSync(
    join(dir, ".kli8nt-release.json"),
    JSON.stringify({ start: "exec node server.cjs", env: {} }),
  );
  return `process:${dir}`;
}

async function deployLive(name: string, image: string): Promise<Deployment> {
  const db = database.db;
  const admin = await ensureAdminUser(db);
  const app = await createApp(db, admin.id, {
    name,
    repository: { url: "https://example.com/r.git", branch: "main", rootDir: "." },
    port: null,
  });
  const d = await createDeployment(db, app, { trigger: "api" });
  await transitionDeployment(db, d.id, "build:building", "building");
  await transitionDeployment(db, d.id, "build:built", "built", { image });
  const body = { type: "DeployRequested", version: 1, deploymentId: d.id, appId: app.id, appName: name };
  await bus.publish("DEPLOY", {
    id: `m-${d.id}`,
    type: "DeployRequested",
    body: { ...body, image, port: 3000, requestedAt: new Date().toISOString() },
  });
  return eventually("live", async () => {
    const row = await loadDeployment(db, d.id);
    return row?.state === "live" ? row : undefined;
  });
}

const answers = async (app: string) => {
  const target = routes.get(app);
  if (target?.kind !== "upstream") return undefined;
  return (await fetch(target.url)).ok ? true : undefined;
};

describe("local reconciler", { timeout: 60_000 }, () => {
  it("restarts a killed release and counts it, then removes the deleted app", async () => {
    const live = await deployLive("heal-kill", releaseDir());
    const [record] = readdirSync(runDir).filter((f) => f.startsWith(`${live.id}-web-0-`));
    const { pid } = JSON.parse(readFileSync(join(runDir, record ?? "none"), "utf8")) as { pid: number };
    process.kill(-pid, "SIGKILL");
    await eventually("a restarted release answering", async () => {
      const row = await loadDeployment(database.db, live.id);
      return row && row.restarts >= 1 ? answers("heal-kill") : undefined;
    });
    const row = await loadDeployment(database.db, live.id);
    expect(row?.restarts).toBe(1);
    expect(row?.conditions).toContainEqual(
      expect.objectContaining({ type: "available", status: "true", reason: "Restarted" }),
    );

    await deleteApp(database.db, (await ensureAdminUser(database.db)).id, "heal-kill");
    await eventually("the deleted app's instance and route gone", async () =>
      routes.get("heal-kill") === undefined && (await engine.list()).length === 0 ? true : undefined,
    );
  });

  it("shows a release that keeps dying as a crash loop with its last output, backing off", async () => {
    const live = await deployLive("heal-loop", releaseDir(400));
    const looping = await eventually(
      "a crash loop",
      async () => {
        const row = await loadDeployment(database.db, live.id);
        const degraded = row?.conditions.find((c) => c.type === "degraded");
        return degraded?.reason === "CrashLoop" ? { row, degraded } : undefined;
      },
      20_000,
      50,
    );
    expect(looping.degraded.message).toMatch(/exited.*back-off \d+ s before restart \d.*out of memory, bye/);
    const target = routes.get("heal-loop");
    expect(target).toMatchObject({ kind: "status", status: "crashed" });
    // The back-off holds restarts apart: far fewer than one per 200 ms resync.
    await new Promise((r) => setTimeout(r, 3000));
    const later = await loadDeployment(database.db, live.id);
    expect(later?.restarts ?? 0).toBeGreaterThanOrEqual(2);
    expect(later?.restarts ?? 0).toBeLessThanOrEqual(4);
  });
});
