import { appendFile, mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeRecords } from "../contract.ts";
import { appDirName } from "./app-dir-name.ts";
import { createFileLogStore } from "./file-log-store.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "kli8nt-logstore-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const segmentsOf = async (app: string) => (await readdir(join(dir, appDirName(app)))).sort();

describe("file log store on disk", () => {
  it("keeps lines and offsets across a reopen and continues numbering", async () => {
    const first = createFileLogStore({ dataDir: dir });
    expect(await first.append("app", makeRecords("app", 3))).toEqual([0, 1, 2]);
    await first.close();
    const second = createFileLogStore({ dataDir: dir });
    expect(await second.append("app", makeRecords("app", 2, {}, 3))).toEqual([3, 4]);
    expect((await second.read("app")).records.map((r) => r.line)).toEqual(
      makeRecords("app", 5).map((r) => r.line),
    );
    await second.close();
  });

  it("recovers from a torn last record after a crash", async () => {
    const first = createFileLogStore({ dataDir: dir, fsyncIntervalMs: 0 });
    await first.append("app", makeRecords("app", 4));
    await first.close();
    const [segment] = await segmentsOf("app");
    const path = join(dir, appDirName("app"), segment as string);
    const goodSize = (await stat(path)).size;
    // What a crash mid-write leaves: the start of a record, no newline.
    await appendFile(
      path,
      '1a2b3c4d ["2026-11-25T10:00:00.000Z","d1","run","web-1/app","stdout","line 4 is cu',
    );

    const second = createFileLogStore({ dataDir: dir });
    const { records, end } = await second.read("app");
    expect(records.map((r) => r.line)).toEqual(["line 0", "line 1", "line 2", "line 3"]);
    expect(end).toBe(4);
    expect((await stat(path)).size).toBe(goodSize);
    expect(await second.append("app", makeRecords("app", 1, {}, 4))).toEqual([4]);
    expect((await second.read("app", { from: 3 })).records.map((r) => r.line)).toEqual(["line 3", "line 4"]);
    await second.close();
  });

  it("drops a complete-looking last line whose checksum fails", async () => {
    const first = createFileLogStore({ dataDir: dir });
    await first.append("app", makeRecords("app", 2));
    await first.close();
    const path = join(dir, appDirName("app"), (await segmentsOf("app"))[0] as string);
    await appendFile(path, '00000000 ["garbage"]\n');
    const second = createFileLogStore({ dataDir: dir });
    expect((await second.read("app")).end).toBe(2);
    expect((await readFile(path, "utf8")).endsWith('garbage"]\n')).toBe(false);
    await second.close();
  });

  it("deletes segments older than the age limit but always keeps the minimum number of lines", async () => {
    let now = 1_000_000;
    const store = createFileLogStore({
      dataDir: dir,
      segmentBytes: 2_000,
      minLines: 50,
      maxAgeMs: 1_000,
      now: () => now,
    });
    for (let i = 0; i < 20; i++) await store.append("app", makeRecords("app", 10, {}, i * 10));
    const before = await segmentsOf("app");
    expect(before.length).toBeGreaterThan(3);
    await store.enforceRetention();
    expect(await segmentsOf("app")).toEqual(before); // nothing is old yet
    now += 5_000;
    await store.enforceRetention();
    const { records, end } = await store.read("app", { limit: 10_000 });
    expect(end).toBe(200);
    expect(records.length).toBeGreaterThanOrEqual(50);
    expect(records.length).toBeLessThan(200);
    expect(records.at(-1)?.line).toBe("line 199");
    // A subscriber that asked for removed offsets is told how many it missed.
    const sub = store.subscribe("app", { from: 0 });
    const first = await sub[Symbol.asyncIterator]().next();
    expect(first.value).toMatchObject({ type: "dropped", from: 0, to: records[0]?.offset });
    await sub.close();
    await store.close();
  });

  it("deletes the oldest segments beyond the size limit, down to the minimum lines", async () => {
    const store = createFileLogStore({ dataDir: dir, segmentBytes: 2_000, minLines: 30, maxBytes: 4_000 });
    for (let i = 0; i < 20; i++) await store.append("app", makeRecords("app", 10, {}, i * 10));
    const { records } = await store.read("app", { limit: 10_000 });
    expect(records.length).toBeGreaterThanOrEqual(30);
    expect(records.length).toBeLessThan(100);
    await store.close();
  });
});
