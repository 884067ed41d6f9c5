import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_FORMATION } from "@kli8nt/core";
import { MemoryRouteTable } from "@kli8nt/router";
import type { Engine } from "../engine.ts";
import { DEFAULT_HEAL } from "../heal/app-reconciler.ts";
import { podmanEngine } from "../podman/podman-engine.ts";
import { processEngine } from "../process/process-engine.ts";
import type { RuntimeSubject } from "../runtime-contract.ts";
import type { DesiredRelease } from "../runtime-port.ts";
import { localRuntime } from "./local-runtime.ts";

// The local adapter's contract subjects: the same runtime on the process engine and on podman.

const quiet = { info: () => undefined, warn: () => undefined };
const SERVER = (tag: string) =>
  `require("node:http").createServer((q, s) => s.end("hello ${tag}")).listen(+process.env.PORT, "0.0.0.0");`;

function desired(appName: string, image: string, command: string | null): DesiredRelease {
  return {
    deploymentId: `dep_${randomBytes(6).toString("hex")}`,
    appId: `app_${appName}`,
    appName,
    image,
    port: 3000,
    env: {},
    processes: [{ ...DEFAULT_FORMATION, type: "web", command }],
    healthPath: "/",
    restartedAt: null,
    stopped: false,
  };
}

function runtimeOn(engine: Engine) {
  return localRuntime({
    engine,
    routes: new MemoryRouteTable(),
    logger: quiet,
    settings: {
      healthTimeoutMs: 15_000,
      drainMs: 0,
      appUrlTemplate: "http://{app}.localhost:8000",
      ...DEFAULT_HEAL,
    },
  });
}

export async function processSubject(): Promise<RuntimeSubject> {
  const work = mkdtempSync(join(tmpdir(), "kli8nt-rc-process-"));
  const engine = processEngine({
    runDir: join(work, "run"),
    hostEnv: { PATH: process.env.PATH ?? "" },
    stopGraceSeconds: 1,
  });
  const releaseDir = (start: string, server?: string) => {
    const dir = join(work, randomBytes(4).toString("hex"));
    mkdirSync(dir);
    if (server) writeFileSync(join(dir, "server.cjs"), server);
    writeFileSync(join(dir, ".kli8nt-release.json"), JSON.stringify({ start, env: {} }));
    return `process:${dir}`;
  };
  return {
    runtime: runtimeOn(engine),
    release: async (app, tag) => desired(app, releaseDir("exec node server.cjs", SERVER(tag)), null),
    failing: async (app) =>
      desired(app, releaseDir('echo "cannot connect to the database" >&2; exit 3'), null),
    oneOffImage: async () => releaseDir("true"),
    close: async () => {
      for (const i of await engine.list()) await engine.stop(i.key, { graceSeconds: 0 });
      rmSync(work, { recursive: true, force: true });
    },
  };
}

export async function podmanSubject(): Promise<RuntimeSubject> {
  const base = (JSON.parse(process.env.KLI8NT_TEST_BASE_IMAGES ?? "{}") as Record<string, string>).node;
  if (!base) throw new Error("KLI8NT_TEST_BASE_IMAGES has no node image: run start_containers");
  const hostEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root" };
  const work = mkdtempSync(join(tmpdir(), "kli8nt-rc-podman-"));
  const engine = podmanEngine({
    hostEnv,
    stopGraceSeconds: 0,
    installation: `rc-${randomBytes(4).toString("hex")}`,
    envDir: join(work, "env"),
  });
  const tags: string[] = [];
  const image = (tag: string, script: string) => {
    const dir = mkdtempSync(join(work, "ctx-"));
    writeFileSync(join(dir, "server.cjs"), script);
    writeFileSync(
      join(dir, "Dockerfile"),
      `FROM ${base}\nCOPY server.cjs /app/server.cjs\nCMD ["node", "/app/server.cjs"]\n`,
    );
    const name = `localhost/kli8nt-test/runtime-contract:${tag}-${randomBytes(3).toString("hex")}`;
    execFileSync("buildah", ["bud", "-q", "--isolation", "chroot", "-t", name, dir], { stdio: "ignore" });
    tags.push(name);
    return name;
  };
  return {
    runtime: runtimeOn(engine),
    release: async (app, tag) => desired(app, image(tag, SERVER(tag)), null),
    failing: async (app) =>
      desired(app, image("bad", 'console.error("no database"); process.exit(3);'), null),
    oneOffImage: async () => tags[0] ?? image("oneoff", ""),
    close: async () => {
      for (const i of await engine.list()) await engine.stop(i.key, { graceSeconds: 0 });
      for (const t of tags) execFileSync("podman", ["rmi", "-f", t], { stdio: "ignore" });
      rmSync(work, { recursive: true, force: true });
    },
  };
}
