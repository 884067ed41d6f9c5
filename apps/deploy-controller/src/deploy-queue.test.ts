import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryBus } from "@kli8nt/bus";
import { type DeployRequested, TerminalError } from "@kli8nt/core";
import {
  createApp,
  createDeployment,
  type Database,
  ensureAdminUser,
  openTestDatabase,
  SecretBox,
  transitionDeployment,
} from "@kli8nt/db";
import { MemoryRouteTable } from "@kli8nt/router";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDeployController } from "./deploy-controller.ts";
import { loadDeployment } from "./deployment-rows.ts";
import type { Engine } from "./engine.ts";
import { DEFAULT_HEAL } from "./heal/app-reconciler.ts";
import { localRuntime } from "./local/local-runtime.ts";
import { processEngine } from "./process/process-engine.ts";

// No deployment stays in flight for ever (issue 20): a deploy that fails transiently is retried by the
// deploy queue until it succeeds, past the bus's 5 attempts; a terminal failure ends `failed` with its
// reason. Real PGlite, the real in-process bus, real processes behind real HTTP health checks.
const work = mkdtempSync(join(tmpdir(), "kli8nt-dq-test-"));
const box = new SecretBox(randomBytes(32));
const hostEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root" };
const quiet = { info: () => undefined, warn: () => undefined };
const real = processEngine({ runDir: join(work, "run"), hostEnv, stopGraceSeconds: 1 });
let database: Database;

beforeAll(async () => {
  database = await openTestDatabase("pglite");
});
afterAll(async () => {
  for (const i of await real.list()) await real.stop(i.key);
  await database.close();
});

function releaseDir(): string {
  const dir = join(work, "releases", randomBytes(4).toString("hex"));
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "server.cjs"),
    `require("node:http").createServer((q, s) => s.end("up")).listen(+process.env.PORT, "127.0.0.1");`,
  );
  writeFileSync(
    join(dir, ".kli8nt-release.json"),
    JSON.stringify({ start: "exec node server.cjs", env: {} }),
  );
  return `process:${dir}`;
}

async function builtRelease(appName: string): Promise<DeployRequested> {
  const db = database.db;
  const admin = await ensureAdminUser(db);
  const app = await createApp(db, admin.id, {
    name: appName,
    repository: { url: "https://example.com/r.git", branch: "main", rootDir: "." },
    port: null,
  });
  const image = releaseDir();
  const d = await createDeployment(db, app, { trigger: "api" });
  await transitionDeployment(db, d.id, "build:building", "building");
  await transitionDeployment(db, d.id, "build:built", "built", { image });
  return {
    type: "DeployRequested",
    version: 1,
    deploymentId: d.id,
    appId: app.id,
    appName,
    image,
    port: 4321,
    requestedAt: new Date().toISOString(),
  };
}

/** The process engine, whose `start` throws `fail()`'s error while it returns one. */
function flaky(fail: () => Error | null): Engine {
  return {
    ...real,
    start: async (spec) => {
      const error = fail();
      if (error) throw error;
      return real.start(spec);
    },
  };
}

async function settled(id: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await loadDeployment(database.db, id);
    if (row && (row.state === "live" || row.state === "failed")) return row;
    if (Date.now() > deadline) throw new Error(`deployment ${id} still ${row?.state}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function run(engine: Engine, message: DeployRequested) {
  const reconcileErrors: string[] = [];
  const bus = new MemoryBus({ retry: { maxAttempts: 5, baseDelayMs: 10, maxDelayMs: 50 } });
  const consumer = await startDeployController({
    db: database.db,
    box,
    bus,
    runtime: localRuntime({
      engine,
      routes: new MemoryRouteTable(),
      logger: quiet,
      settings: {
        healthTimeoutMs: 10_000,
        drainMs: 0,
        appUrlTemplate: "http://{app}.localhost:8000",
        ...DEFAULT_HEAL,
      },
    }),
    logger: quiet,
    onOutboxWrite: () => undefined,
    settings: {},
    resyncMs: 60_000,
    deployQueue: { baseDelayMs: 20 },
    onReconcileError: (queue) => void reconcileErrors.push(queue),
  });
  await bus.publish("DEPLOY", { id: `m-${message.deploymentId}`, type: "DeployRequested", body: message });
  const row = await settled(message.deploymentId);
  await consumer.cancel();
  const dead = await bus.takeDeadLetters("DEPLOY", 10);
  await bus.close();
  return { row, dead, reconcileErrors };
}

describe("deploy queue", { timeout: 60_000 }, () => {
  it("retries a deploy that throws 5 times, then ends live with the requested port recorded", async () => {
    const message = await builtRelease("flaky-five");
    let failures = 0;
    const runtime = flaky(() => (failures++ < 5 ? new Error("podman: cannot connect to the service") : null));
    const { row, dead, reconcileErrors } = await run(runtime, message);
    expect(failures).toBe(6);
    // Each retried failure is counted for the platform's /metrics.
    expect(reconcileErrors.filter((q) => q === "deploy")).toHaveLength(5);
    expect(row).toMatchObject({ state: "live", port: 4321 });
    expect(dead).toEqual([]);
  });

  it("fails a deploy on a terminal error with its reason, without retrying it", async () => {
    const message = await builtRelease("terminal-one");
    let attempts = 0;
    const runtime = flaky(() => {
      attempts++;
      return new TerminalError("IMAGE_GONE", "The release's image was removed from local storage");
    });
    const { row, dead } = await run(runtime, message);
    expect(row).toMatchObject({
      state: "failed",
      reason: "The release's image was removed from local storage",
    });
    expect(attempts).toBe(1);
    expect(dead).toEqual([]);
  });
});
