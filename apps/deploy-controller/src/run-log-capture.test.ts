import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { processEngine } from "./process/process-engine.ts";
import { RunLogCapture, type RunLogRecord, toNanos } from "./run-log-capture.ts";

const dir = mkdtempSync(path.join(tmpdir(), "kli8nt-runlog-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("run log capture", () => {
  it("follows a release's stdout and stderr into the store, once per release", async () => {
    writeFileSync(
      path.join(dir, ".kli8nt-release.json"),
      JSON.stringify({ start: "echo ready; echo oops >&2; sleep 0.3; echo later; sleep 30", env: {} }),
    );
    const engine = processEngine({
      runDir: path.join(dir, "run"),
      hostEnv: { PATH: process.env.PATH ?? "" },
      stopGraceSeconds: 1,
    });
    const stored: RunLogRecord[] = [];
    const capture = new RunLogCapture({
      engine,
      append: async (_appId, records) => void stored.push(...records),
      lastTimestamp: async () => null,
      onError: (error) => {
        throw error;
      },
      flushMs: 10,
    });
    const release = {
      key: "dep_run1-web-0",
      deploymentId: "dep_run1",
      appId: "app_1",
      appName: "runner",
      process: "web",
      index: 0,
    };
    await engine.start({ ...release, command: null, image: `process:${dir}`, port: 3000, env: {} });
    await capture.ensure(release);
    await capture.ensure(release); // idempotent: still one follower
    await waitUntil(() => stored.length >= 3);
    await engine.stop(release.key);
    capture.stopAll();
    expect(stored.map((r) => [r.stream, r.line])).toEqual([
      ["stdout", "ready"],
      ["stderr", "oops"],
      ["stdout", "later"],
    ]);
    expect(
      stored.every(
        (r) =>
          r.phase === "run" && r.deploymentId === "dep_run1" && r.appId === "app_1" && r.source === "web.1",
      ),
    ).toBe(true);
  });

  it("compares timestamps to the nanosecond, across zones", () => {
    expect(toNanos("2026-11-25T12:26:37.716285890Z")).toBe(toNanos("2026-11-25T12:26:37.716285890+00:00"));
    expect(toNanos("2026-11-25T12:26:37.716285891Z") > toNanos("2026-11-25T12:26:37.716285890Z")).toBe(true);
    expect(toNanos("2026-11-25T13:26:37.5+01:00")).toBe(toNanos("2026-11-25T12:26:37.500Z"));
  });
});

async function waitUntil(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 25));
}

describe("secrets in app output", () => {
  it("never reach the store: the masked store replaces them before anything is written", async () => {
    const { createFileLogStore, withSecretMasking } = await import("@kli8nt/logstore");
    const appDir = mkdtempSync(path.join(tmpdir(), "kli8nt-runlog-secret-"));
    writeFileSync(
      path.join(appDir, ".kli8nt-release.json"),
      JSON.stringify({
        start: 'echo "connecting with $API_KEY"; echo "key=$API_KEY" >&2; sleep 30',
        env: {},
      }),
    );
    const store = createFileLogStore({ dataDir: path.join(appDir, "logs") });
    const masked = withSecretMasking(store, async () => ["sk_live_0123456789"]);
    const engine = processEngine({
      runDir: path.join(appDir, "run"),
      hostEnv: { PATH: process.env.PATH ?? "" },
      stopGraceSeconds: 1,
    });
    const capture = new RunLogCapture({
      engine,
      append: async (appId, records) => void (await masked.append(appId, records)),
      lastTimestamp: async () => null,
      onError: (error) => {
        throw error;
      },
      flushMs: 10,
    });
    const release = {
      key: "dep_secret-web-0",
      deploymentId: "dep_secret",
      appId: "app_secret",
      appName: "leaky",
      process: "web",
      index: 0,
    };
    try {
      await engine.start({
        ...release,
        command: null,
        image: `process:${appDir}`,
        port: 3000,
        env: { API_KEY: "sk_live_0123456789" },
      });
      await capture.ensure(release);
      let lines: string[] = [];
      for (let i = 0; i < 200 && lines.length < 2; i++) {
        await new Promise((r) => setTimeout(r, 25));
        lines = (await store.read("app_secret")).records.map((r) => r.line);
      }
      expect(lines.sort()).toEqual(["connecting with ****", "key=****"]);
    } finally {
      capture.stopAll();
      await engine.stop(release.key);
      await store.close();
      rmSync(appDir, { recursive: true, force: true });
    }
  });
});
