import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { appDirName } from "./app-dir-name.ts";
import { createFileLogStore } from "./file-log-store.ts";

const dir = mkdtempSync(join(tmpdir(), "kli8nt-logs-remove-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const line = (text: string) => ({
  timestamp: new Date().toISOString(),
  appId: "app_gone",
  deploymentId: "dep_1",
  phase: "run" as const,
  source: "gone",
  stream: "stdout" as const,
  line: text,
});

describe("file log store removeApp", () => {
  it("deletes a deleted app's segments, leaves other apps' logs, and starts afresh on a later append", async () => {
    const store = createFileLogStore({ dataDir: dir, fsyncIntervalMs: 0 });
    await store.append("app_gone", [line("one"), line("two")]);
    await store.append("app_kept", [{ ...line("kept"), appId: "app_kept" }]);
    expect(existsSync(join(dir, appDirName("app_gone")))).toBe(true);

    await store.removeApp("app_gone");
    expect(existsSync(join(dir, appDirName("app_gone")))).toBe(false);
    expect((await store.read("app_gone")).records).toEqual([]);
    expect((await store.read("app_kept")).records.map((r) => r.line)).toEqual(["kept"]);
    await store.append("app_gone", [line("three")]);
    expect((await store.read("app_gone")).records.map((r) => r.line)).toEqual(["three"]);
    await store.close();
  });
});
