import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { RunLine } from "../runtime.ts";
import { processRuntime } from "./process-runtime.ts";

const root = mkdtempSync(join(tmpdir(), "kli8nt-process-runtime-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const runtime = processRuntime({
  runDir: join(root, "run"),
  hostEnv: { PATH: "/usr/bin:/bin", HOME: root },
  stopGraceSeconds: 0,
});

const release = (name: string, start: string): string => {
  const made = mkdtempSync(join(root, `${name}-`));
  writeFileSync(join(made, ".kli8nt-release.json"), JSON.stringify({ start, env: {} }));
  return `process:${made}`;
};

const collect = (deploymentId: string) => {
  const lines: RunLine[] = [];
  const ended = new Promise<void>((resolve) =>
    runtime.follow?.(deploymentId, null, (l) => lines.push(l), resolve),
  );
  return { lines, ended };
};

describe("process runtime", () => {
  it("finds its shell with the platform's PATH; the app's PATH applies only to the app", async () => {
    const id = "dep_path";
    await runtime.start({
      deploymentId: id,
      appId: "app_1",
      appName: "path",
      image: release("path", 'printf "%s\\n" "$PATH"'),
      port: 3000,
      env: { PATH: "/nonexistent", LD_PRELOAD: "/nonexistent/evil.so" },
    });
    const { lines, ended } = collect(id);
    await ended;
    expect(lines.map((l) => l.line)).toContain("/nonexistent");
    await runtime.stop(id);
  });

  it("cuts output without a newline into bounded pieces", async () => {
    const id = "dep_long";
    await runtime.start({
      deploymentId: id,
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
    await runtime.stop(id);
  });
});
