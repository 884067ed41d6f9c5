import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { RunLine } from "../engine.ts";
import { processEngine } from "./process-engine.ts";

const root = mkdtempSync(join(tmpdir(), "kli8nt-process-engine-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const engine = processEngine({
  runDir: join(root, "run"),
  hostEnv: { PATH: "/usr/bin:/bin", HOME: root },
  stopGraceSeconds: 0,
});

const release = (name: string, start: string): string => {
  const made = mkdtempSync(join(root, `${name}-`));
  writeFileSync(join(made, ".kli8nt-release.json"), JSON.stringify({ start, env: {} }));
  return `process:${made}`;
};

const instance = (key: string) => ({
  key,
  deploymentId: key,
  process: "web",
  index: 0,
  command: null,
});

const collect = (deploymentId: string) => {
  const lines: RunLine[] = [];
  const ended = new Promise<void>((resolve) =>
    engine.follow?.(deploymentId, null, (l) => lines.push(l), resolve),
  );
  return { lines, ended };
};

describe("process engine", () => {
  it("finds its shell with the platform's PATH; the app's PATH applies only to the app", async () => {
    const id = "dep_path";
    await engine.start({
      ...instance(id),
      appId: "app_1",
      appName: "path",
      image: release("path", 'printf "%s\\n" "$PATH"'),
      port: 3000,
      env: { PATH: "/nonexistent", LD_PRELOAD: "/nonexistent/evil.so" },
    });
    const { lines, ended } = collect(id);
    await ended;
    expect(lines.map((l) => l.line)).toContain("/nonexistent");
    await engine.stop(id);
  });

  it("cuts output without a newline into bounded pieces", async () => {
    const id = "dep_long";
    await engine.start({
      ...instance(id),
      appId: "app_1",
      appName: "long",
      image: release("long", "/usr/bin/head -c 1048576 /dev/zero | /usr/bin/tr '\\0' x"),
      port: 3000,
      env: {},
    });
    const { lines, ended } = collect(id);
    await ended;
    expect(lines.length).toBe(64);
    for (const l of lines) expect(Buffer.byteLength(l.line)).toBeLessThanOrEqual(16 * 1024);
    await engine.stop(id);
  });

  it("runs a process type's own command, without a port for a worker", async () => {
    const id = "dep_worker";
    await engine.start({
      ...instance(id),
      process: "worker",
      command: 'echo "worker PORT=${PORT:-none}"',
      appId: "app_1",
      appName: "workers",
      image: release("workers", "echo web"),
      port: null,
      env: {},
    });
    const { lines, ended } = collect(id);
    await ended;
    expect(lines.map((l) => l.line)).toEqual(["worker PORT=none"]);
    const listed = (await engine.list()).find((i) => i.key === id);
    expect(listed).toMatchObject({ process: "worker", upstream: "", appName: "workers" });
    await engine.stop(id);
  });

  it("runs a one-off command to completion with its exit code, output and a timeout", async () => {
    const image = release("oneoff", "echo web");
    const seen: string[] = [];
    const ok = await engine.runOnce({
      key: "dep_once-release-1",
      deploymentId: "dep_once",
      appId: "app_1",
      appName: "oneoff",
      image,
      command: 'echo "migrating $DATABASE"; echo done >&2; exit 3',
      env: { DATABASE: "db1" },
      timeoutMs: 10_000,
      onLine: (l) => seen.push(l.line),
    });
    expect(ok.exitCode).toBe(3);
    expect(seen).toEqual(["migrating db1", "done"]);
    expect(ok.tail).toEqual(["migrating db1", "done"]);
    const slow = await engine.runOnce({
      key: "dep_once-release-2",
      deploymentId: "dep_once",
      appId: "app_1",
      appName: "oneoff",
      image,
      command: "sleep 30",
      env: {},
      timeoutMs: 300,
      onLine: () => undefined,
    });
    expect(slow.exitCode).toBeNull();
    expect((await engine.list()).some((i) => i.deploymentId === "dep_once")).toBe(false);
  });
});
