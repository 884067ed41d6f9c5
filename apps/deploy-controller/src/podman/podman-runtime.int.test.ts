import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ReleaseSpec } from "../runtime.ts";
import { containerName, podmanRuntime } from "./podman-runtime.ts";

// start() is idempotent on the release's container name (a redelivered DEPLOY, a restarted platform): a
// running container is reused, a dead one replaced, never a second one.
const env = process.env;
const ready = env.KLI8NT_TEST_CONTAINERS === "1" && env.KLI8NT_TEST_BASE_IMAGES !== undefined;
if (!ready && env.CI === "true") {
  throw new Error("KLI8NT_TEST_CONTAINERS/KLI8NT_TEST_BASE_IMAGES missing: run start_containers");
}

const TAG = `localhost/kli8nt-test/podman-runtime:${Date.now().toString(36)}`;
const hostEnv = { PATH: env.PATH ?? "/usr/bin:/bin", HOME: env.HOME ?? "/root" };
const envDir = mkdtempSync(join(tmpdir(), "kli8nt-podman-env-"));
const runtime = podmanRuntime({ hostEnv, stopGraceSeconds: 0, installation: "test-a", envDir });
// Another platform on the same podman (a second data dir, a parallel suite).
const other = podmanRuntime({ hostEnv, stopGraceSeconds: 0, installation: "test-b", envDir });
const spec = (deploymentId: string, seconds: number): ReleaseSpec => ({
  deploymentId,
  appId: "app_test",
  appName: "podman-runtime-test",
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

describe.skipIf(!ready)("podman runtime start", { timeout: 120_000 }, () => {
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
});
