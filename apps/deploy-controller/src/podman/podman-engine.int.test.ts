import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { failUnderCi } from "@kli8nt/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InstanceSpec } from "../engine.ts";
import { containerName, podmanEngine } from "./podman-engine.ts";

// start() is idempotent on the instance's container name (a redelivered DEPLOY, a restarted platform): a
// running container is reused, a dead one replaced, never a second one.
const env = process.env;
const ready = env.KLI8NT_TEST_CONTAINERS === "1" && env.KLI8NT_TEST_BASE_IMAGES !== undefined;
failUnderCi(!ready, "KLI8NT_TEST_CONTAINERS/KLI8NT_TEST_BASE_IMAGES missing: run start_containers");

const TAG = `localhost/kli8nt-test/podman-engine:${Date.now().toString(36)}`;
const hostEnv = { PATH: env.PATH ?? "/usr/bin:/bin", HOME: env.HOME ?? "/root" };
const envDir = mkdtempSync(join(tmpdir(), "kli8nt-podman-env-"));
const runtime = podmanEngine({ hostEnv, stopGraceSeconds: 0, installation: "test-a", envDir });
// Another platform on the same podman (a second data dir, a parallel suite).
const other = podmanEngine({ hostEnv, stopGraceSeconds: 0, installation: "test-b", envDir });
const spec = (deploymentId: string, seconds: number): InstanceSpec => ({
  key: deploymentId,
  deploymentId,
  process: "web",
  index: 0,
  command: null,
  appId: "app_test",
  appName: "podman-engine-test",
  image: TAG,
  port: 3000,
  env: { SLEEP: String(seconds) },
});
const names = (id: string) =>
  execFileSync("podman", ["ps", "-a", "--filter", `name=^${containerName(id)}$`, "--format", "{{.ID}}"], {
    encoding: "utf8",
  })
    .split("\n")
    .filter(Boolean);
const ids: string[] = [];
const xs = (pieces: { line: string }[]): number =>
  pieces.reduce((n, p) => n + (p.line.match(/x/g)?.length ?? 0), 0);

describe.skipIf(!ready)("podman engine", { timeout: 120_000 }, () => {
  beforeAll(() => {
    const base = (JSON.parse(env.KLI8NT_TEST_BASE_IMAGES ?? "{}") as Record<string, string>).debian;
    const dir = mkdtempSync(join(tmpdir(), "kli8nt-podman-test-"));
    writeFileSync(join(dir, "Dockerfile"), `FROM ${base}\nCMD ["/bin/sh", "-c", "exec /bin/sleep $SLEEP"]\n`);
    execFileSync("buildah", ["bud", "-q", "--isolation", "chroot", "-t", TAG, dir], { stdio: "ignore" });
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  afterAll(() => {
    for (const id of ids)
      execFileSync("podman", ["rm", "-f", "-t", "0", containerName(id)], { stdio: "ignore" });
    execFileSync("podman", ["rmi", "-f", TAG], { stdio: "ignore" });
    rmSync(envDir, { recursive: true, force: true });
  });

  it("lists only its own installation's releases", async () => {
    const id = `dep_mine${Date.now().toString(36)}`;
    ids.push(id);
    await runtime.start(spec(id, 300));
    expect((await runtime.list()).map((i) => i.deploymentId)).toContain(id);
    expect((await other.list()).map((i) => i.deploymentId)).not.toContain(id);
  });

  it("reuses the running container of a release instead of starting a second one", async () => {
    const id = `dep_reuse${Date.now().toString(36)}`;
    ids.push(id);
    const first = await runtime.start(spec(id, 300));
    const again = await runtime.start(spec(id, 300));
    expect(again.upstream).toBe(first.upstream);
    expect(names(id)).toHaveLength(1);
    expect(await runtime.status(id)).toEqual({ running: true, exitCode: null });
  });

  it("replaces the dead container of a release", async () => {
    const id = `dep_dead${Date.now().toString(36)}`;
    ids.push(id);
    await runtime.start(spec(id, 0));
    for (let i = 0; i < 100 && (await runtime.status(id))?.running; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(await runtime.status(id)).toEqual({ running: false, exitCode: 0 });
    const dead = names(id);
    await runtime.start(spec(id, 300));
    expect(names(id)).toHaveLength(1);
    expect(names(id)).not.toEqual(dead);
    expect(await runtime.status(id)).toEqual({ running: true, exitCode: null });
  });

  // ADR 0135: app env reaches the container only, never the host's podman process.
  it("gives app env to the container only, however hostile the names and values", async () => {
    const id = `dep_env${Date.now().toString(36)}`;
    ids.push(id);
    const pem = "-----BEGIN KEY-----\nabc\nHOME\n-----END KEY-----";
    await runtime.start({
      ...spec(id, 300),
      env: {
        SLEEP: "300",
        PATH: "/nonexistent",
        LD_PRELOAD: "/nonexistent/evil.so",
        CONTAINERS_CONF: "/nonexistent/containers.conf",
        CONTAINER_HOST: "tcp://127.0.0.1:1",
        PEM: pem,
      },
    });
    expect(await runtime.status(id)).toEqual({ running: true, exitCode: null });
    const environ = execFileSync("podman", ["exec", containerName(id), "/bin/cat", "/proc/1/environ"], {
      encoding: "utf8",
    }).split("\0");
    expect(environ).toContain("PATH=/nonexistent");
    expect(environ).toContain("LD_PRELOAD=/nonexistent/evil.so");
    expect(environ).toContain(`PEM=${pem}`);
    expect(environ).toContain("PORT=3000");
    expect(readdirSync(envDir)).toEqual([]);
    await runtime.stop(id);
    const secrets = execFileSync("podman", ["secret", "ls", "--format", "{{.Name}}"], { encoding: "utf8" });
    expect(secrets).not.toContain(containerName(id));
  });

  // podman's follow waits for the newline, but hands the line over as a 1 MiB stream (with its own
  // timestamps at conmon's 8 KiB record joins): the reader must not hold it whole.
  it("follows a container printing a 1 MiB line in bounded, timestamped pieces", async () => {
    const id = `dep_long${Date.now().toString(36)}`;
    ids.push(id);
    const pieces: { timestamp: string; line: string }[] = [];
    const name = containerName(id);
    execFileSync("podman", [
      "run",
      "-d",
      "--name",
      name,
      "--label",
      "kli8nt=1",
      TAG,
      "/bin/sh",
      "-c",
      "/usr/bin/head -c 1048576 /dev/zero | /usr/bin/tr '\\0' x; echo; exec /bin/sleep 300",
    ]);
    await new Promise<void>((resolve) => {
      const follower = runtime.follow?.(
        id,
        null,
        (l) => {
          pieces.push(l);
          if (xs(pieces) >= 1048576) {
            follower?.stop();
            resolve();
          }
        },
        resolve,
      );
    });
    expect(xs(pieces)).toBe(1048576);
    for (const p of pieces) {
      expect(Buffer.byteLength(p.line)).toBeLessThanOrEqual(16 * 1024);
      expect(p.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    }
  });

  it("reads the last lines of a container that printed a 1 MiB line in bounded pieces", async () => {
    const id = `dep_tail${Date.now().toString(36)}`;
    ids.push(id);
    const name = containerName(id);
    execFileSync("podman", [
      ...["run", "-d", "--name", name, "--label", "kli8nt=1", TAG, "/bin/sh", "-c"],
      "/usr/bin/head -c 1048576 /dev/zero | /usr/bin/tr '\\0' x; echo; echo last words >&2; exec /bin/sleep 300",
    ]);
    let tail: string[] = [];
    for (let i = 0; i < 50 && !tail.includes("last words"); i++) {
      await new Promise((r) => setTimeout(r, 100));
      tail = await runtime.logs(id, 5);
    }
    expect(tail).toContain("last words");
    expect(tail.length).toBeLessThanOrEqual(5);
    for (const line of tail) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(16 * 1024);
  });

  it("runs a worker with its own command, limits and no published port", async () => {
    const id = `dep_worker${Date.now().toString(36)}`;
    ids.push(id);
    const started = await runtime.start({
      ...spec(id, 300),
      process: "worker",
      index: 1,
      command: 'echo "worker up PORT=${PORT:-none}"; exec /bin/sleep 300',
      port: null,
      memory: "128Mi",
      cpu: "250m",
    });
    expect(started.upstream).toBe("");
    const inspect = execFileSync(
      "podman",
      ["inspect", "--format", "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}", containerName(id)],
      { encoding: "utf8" },
    ).trim();
    expect(inspect).toBe(`${128 * 1024 * 1024} 250000000`);
    let tail: string[] = [];
    for (let i = 0; i < 50 && tail.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      tail = await runtime.logs(id, 5);
    }
    expect(tail).toEqual(["worker up PORT=none"]);
    expect((await runtime.list()).find((i) => i.key === id)).toMatchObject({ process: "worker", index: 1 });
  });

  it("runs a one-off command in a fresh container of the image, streams it and removes it", async () => {
    const key = `dep_once${Date.now().toString(36)}-release-1`;
    const lines: string[] = [];
    const result = await runtime.runOnce({
      key,
      deploymentId: "dep_once",
      appId: "app_test",
      appName: "podman-engine-test",
      image: TAG,
      command: 'echo "migrating $DB_NAME"; echo boom >&2; exit 4',
      env: { DB_NAME: "shop" },
      timeoutMs: 30_000,
      onLine: (l) => lines.push(l.line),
    });
    expect(result.exitCode).toBe(4);
    expect(lines).toEqual(["migrating shop", "boom"]);
    expect(result.tail).toEqual(["migrating shop", "boom"]);
    expect(names(key)).toEqual([]);
    const slow = await runtime.runOnce({
      key: `${key}-slow`,
      deploymentId: "dep_once",
      appId: "app_test",
      appName: "podman-engine-test",
      image: TAG,
      command: "exec /bin/sleep 300",
      env: {},
      timeoutMs: 1000,
      onLine: () => undefined,
    });
    expect(slow.exitCode).toBeNull();
    expect(names(`${key}-slow`)).toEqual([]);
  });
});
