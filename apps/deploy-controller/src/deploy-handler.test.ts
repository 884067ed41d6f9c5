import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DeployRequested } from "@kli8nt/core";
import {
  createApp,
  createDeployment,
  type Database,
  ensureAdminUser,
  openTestDatabase,
  replaceEnv,
  SecretBox,
  transitionDeployment,
} from "@kli8nt/db";
import { MemoryRouteTable } from "@kli8nt/router";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployHandler } from "./deploy-handler.ts";
import { recordDeployRequest } from "./deploy-queue.ts";
import { loadDeployment } from "./deployment-rows.ts";
import { DEFAULT_HEAL } from "./heal/app-reconciler.ts";
import { startLocalReconciler } from "./heal/local-reconciler.ts";
import { KeyLock } from "./key-lock.ts";
import { localRuntime } from "./local/local-runtime.ts";
import { processEngine } from "./process/process-engine.ts";

// Real PGlite, real processes (the process runtime: no podman needed), real HTTP health checks.
const work = mkdtempSync(join(tmpdir(), "kli8nt-dc-test-"));
const box = new SecretBox(randomBytes(32));
const hostEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root" };
const quiet = { info: () => undefined, warn: () => undefined };
let database: Database;
const engine = processEngine({ runDir: join(work, "run"), hostEnv, stopGraceSeconds: 2 });
const routes = new MemoryRouteTable();
const settings = {
  healthTimeoutMs: 10_000,
  drainMs: 100,
  appUrlTemplate: "http://{app}.localhost:8000",
  ...DEFAULT_HEAL,
};
const runtime = localRuntime({ engine, routes, logger: quiet, settings });
const oneOffLines: Array<{ phase: string; line: string }> = [];

beforeAll(async () => {
  database = await openTestDatabase("pglite");
});
afterAll(async () => {
  for (const i of await engine.list()) await engine.stop(i.key);
  await database.close();
});

function releaseDir(version: string, crash = false): string {
  const dir = join(work, "releases", `${version}-${randomBytes(3).toString("hex")}`);
  mkdirSync(dir, { recursive: true });
  const server = crash
    ? 'console.error("boom: no database"); process.exit(3);'
    : `require("node:http").createServer((q, s) => s.end("hello ${version} " + process.env.GREETING)).listen(+process.env.PORT, "127.0.0.1");`;
  writeFileSync(join(dir, "server.cjs"), server);
  writeFileSync(
    join(dir, ".kli8nt-release.json"),
    JSON.stringify({ start: "exec node server.cjs", env: {} }),
  );
  return `process:${dir}`;
}

async function builtRelease(
  appName: string,
  image: string,
  extra: Pick<DeployRequested, "processes" | "releaseCommand"> = {},
): Promise<DeployRequested> {
  const db = database.db;
  const admin = await ensureAdminUser(db);
  const app = await createApp(db, admin.id, {
    name: appName,
    repository: { url: "https://example.com/r.git", branch: "main", rootDir: "." },
    port: null,
  }).catch(async () => (await import("@kli8nt/db")).getApp(db, admin.id, appName));
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
    port: 3000,
    ...extra,
    requestedAt: new Date().toISOString(),
  };
}

const deps = () => ({
  db: database.db,
  box,
  runtime,
  logger: quiet,
  onOutboxWrite: () => undefined,
  settings: { releaseTimeoutMs: 10_000 },
  oneOffLog: () => ({
    onLine: (_stream: string, line: string) => void oneOffLines.push({ phase: "release", line }),
    flush: async () => undefined,
  }),
});
const handler = () => {
  const handle = deployHandler(deps());
  // What the DEPLOY consumer does first: the request (port, processes, release command) on the row.
  return async (m: DeployRequested) => {
    await recordDeployRequest(database.db, m);
    await handle(m);
  };
};
const deploymentsOf = async () => [...new Set((await engine.list()).map((i) => i.deploymentId))];

async function viaRoute(app: string): Promise<string> {
  const target = routes.get(app);
  if (target?.kind !== "upstream") throw new Error(`no upstream for ${app}: ${JSON.stringify(target)}`);
  return (await fetch(target.url)).text();
}

describe("deploy handler (process runtime)", { timeout: 60_000 }, () => {
  it("goes live with env secrets, switches to a new release, keeps the old one when the next fails", async () => {
    const handle = handler();
    const v1 = await builtRelease("shop", releaseDir("v1"));
    const { getApp } = await import("@kli8nt/db");
    const app = await getApp(database.db, (await ensureAdminUser(database.db)).id, "shop");
    await replaceEnv(database.db, box, app.id, [{ key: "GREETING", value: "s3cret-value", secret: true }]);
    await handle(v1);
    expect(await loadDeployment(database.db, v1.deploymentId)).toMatchObject({
      state: "live",
      url: "http://shop.localhost:8000",
    });
    expect(await viaRoute("shop")).toBe("hello v1 s3cret-value");

    const v2 = await builtRelease("shop", releaseDir("v2"));
    await handle(v2);
    expect(await viaRoute("shop")).toBe("hello v2 s3cret-value");
    expect(await deploymentsOf()).toEqual([v2.deploymentId]);

    const v3 = await builtRelease("shop", releaseDir("v3", true));
    await handle(v3);
    const failed = await loadDeployment(database.db, v3.deploymentId);
    expect(failed?.state).toBe("failed");
    expect(failed?.reason).toMatch(/Health check failed: The app exited.*boom: no database/);
    expect(await viaRoute("shop")).toBe("hello v2 s3cret-value");
    expect(await deploymentsOf()).toEqual([v2.deploymentId]);

    await handle(v2);
    expect(await deploymentsOf()).toEqual([v2.deploymentId]);
  });

  it("reconciles at start: keeps the live release and its route, removes strays", async () => {
    const stray = await builtRelease("shop", releaseDir("stray"));
    await engine.start({
      ...stray,
      key: `${stray.deploymentId}-web-0-aaaaaa`,
      process: "web",
      index: 0,
      command: null,
      env: {},
    });
    const fresh = new MemoryRouteTable();
    const reconciler = startLocalReconciler(
      {
        ...deps(),
        runtime: localRuntime({ engine, routes: fresh, logger: quiet, settings }),
        heal: DEFAULT_HEAL,
      },
      { lock: new KeyLock(), resyncMs: 60_000 },
    );
    await reconciler.initial();
    await reconciler.stop();
    expect(fresh.get("shop")?.kind).toBe("upstream");
    expect(await deploymentsOf()).toHaveLength(1);
    expect(await deploymentsOf()).not.toContain(stray.deploymentId);
  });

  it("runs the release command once with the app's env before traffic moves; a failing one keeps the old release", async () => {
    const handle = handler();
    const image = releaseDir("rel");
    const dir = image.slice("process:".length);
    const v1 = await builtRelease("migrator", image, {
      releaseCommand: 'echo "migrating with $GREETING"; echo applied >> migrations.log',
    });
    const { getApp } = await import("@kli8nt/db");
    const app = await getApp(database.db, (await ensureAdminUser(database.db)).id, "migrator");
    await replaceEnv(database.db, box, app.id, [{ key: "GREETING", value: "db-url", secret: false }]);
    await handle(v1);
    expect(await loadDeployment(database.db, v1.deploymentId)).toMatchObject({ state: "live" });
    expect(readFileSync(join(dir, "migrations.log"), "utf8")).toBe("applied\n");
    expect(oneOffLines.map((l) => l.line)).toContain("migrating with db-url");
    expect((await loadDeployment(database.db, v1.deploymentId))?.conditions).toContainEqual(
      expect.objectContaining({ type: "released", status: "true" }),
    );
    // A redelivery does not migrate twice.
    await handle(v1);
    expect(readFileSync(join(dir, "migrations.log"), "utf8")).toBe("applied\n");

    const v2 = await builtRelease("migrator", releaseDir("rel2"), {
      releaseCommand: 'echo "relation users already exists" >&2; exit 1',
    });
    await handle(v2);
    const failed = await loadDeployment(database.db, v2.deploymentId);
    expect(failed?.state).toBe("failed");
    expect(failed?.reason).toMatch(/release command exited with code 1.*relation users already exists/);
    expect(await viaRoute("migrator")).toBe("hello rel db-url");
  });

  it("runs every process type; a worker-only release is live without a port or a route", async () => {
    const handle = handler();
    const image = releaseDir("procs");
    const both = await builtRelease("procs", image, {
      processes: { web: null, worker: "echo worker says hi; exec sleep 60" },
    });
    await handle(both);
    expect(await loadDeployment(database.db, both.deploymentId)).toMatchObject({ state: "live" });
    const listed = (await engine.list()).filter((i) => i.appName === "procs");
    expect(listed.map((i) => i.process).sort()).toEqual(["web", "worker"]);
    expect(await viaRoute("procs")).toBe("hello procs undefined");

    const workerOnly = await builtRelease("lonely", image, { processes: { worker: "exec sleep 60" } });
    await handle(workerOnly);
    expect(await loadDeployment(database.db, workerOnly.deploymentId)).toMatchObject({
      state: "live",
      url: null,
    });
    expect(routes.get("lonely")).toMatchObject({ kind: "status", status: "no-release" });
    expect((await engine.list()).filter((i) => i.appName === "lonely").map((i) => i.process)).toEqual([
      "worker",
    ]);
  });
});
