import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
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
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployHandler } from "./deploy-handler.ts";
import { loadDeployment } from "./deployment-rows.ts";
import { processRuntime } from "./process/process-runtime.ts";
import { reconcileReleases } from "./reconcile.ts";
import { MemoryRouteTable } from "./router/memory-route-table.ts";

// Real PGlite, real processes (the process runtime: no podman needed), real HTTP health checks.
const work = mkdtempSync(join(tmpdir(), "kli8nt-dc-test-"));
const box = new SecretBox(randomBytes(32));
const hostEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root" };
const quiet = { info: () => undefined, warn: () => undefined };
let database: Database;
const runtime = processRuntime({ runDir: join(work, "run"), hostEnv, stopGraceSeconds: 2 });
const routes = new MemoryRouteTable();

beforeAll(async () => {
  database = await openTestDatabase("pglite");
});
afterAll(async () => {
  for (const i of await runtime.list()) await runtime.stop(i.deploymentId);
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

async function builtRelease(appName: string, image: string): Promise<DeployRequested> {
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
    requestedAt: new Date().toISOString(),
  };
}

const handler = () =>
  deployHandler({
    db: database.db,
    box,
    runtime,
    routes,
    logger: quiet,
    onOutboxWrite: () => undefined,
    settings: { healthTimeoutMs: 10_000, drainMs: 100, appUrlTemplate: "http://{app}.localhost:8000" },
  });

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
    expect((await runtime.list()).map((i) => i.deploymentId)).toEqual([v2.deploymentId]);

    const v3 = await builtRelease("shop", releaseDir("v3", true));
    await handle(v3);
    const failed = await loadDeployment(database.db, v3.deploymentId);
    expect(failed?.state).toBe("failed");
    expect(failed?.reason).toMatch(/Health check failed: The app exited.*boom: no database/);
    expect(await viaRoute("shop")).toBe("hello v2 s3cret-value");
    expect((await runtime.list()).map((i) => i.deploymentId)).toEqual([v2.deploymentId]);

    await handle(v2);
    expect((await runtime.list()).map((i) => i.deploymentId)).toEqual([v2.deploymentId]);
  });

  it("reconciles at start: keeps the live release and its route, removes strays", async () => {
    const stray = await builtRelease("shop", releaseDir("stray"));
    await runtime.start({ ...stray, env: {} });
    const fresh = new MemoryRouteTable();
    const report = await reconcileReleases({
      db: database.db,
      box,
      runtime,
      routes: fresh,
      logger: quiet,
      onOutboxWrite: () => undefined,
      settings: { healthTimeoutMs: 10_000, drainMs: 0, appUrlTemplate: "http://{app}.localhost:8000" },
    });
    expect(report.removed).toEqual([stray.deploymentId]);
    expect(report.kept).toHaveLength(1);
    expect(fresh.get("shop")?.kind).toBe("upstream");
    expect(await runtime.list()).toHaveLength(1);
  });
});
