import { describe, expect, it } from "vitest";
import type { LogEvent, LogStore, LogSubscription } from "./logstore.ts";
import type { LogRecord } from "./record.ts";
import { withSecretMasking } from "./with-secret-masking.ts";

/** Makes a store; `reopen` (when the adapter can) gives a new store over the same data. */
export type MakeStore = () => Promise<LogStore>;

let counter = 0;
/** A fresh app id per test so tests never see each other's lines (Kafka topics outlive a store). */
export const freshAppId = (label: string): string => `${label}-${process.pid}-${Date.now()}-${counter++}`;

export function makeRecords(appId: string, n: number, over: Partial<LogRecord> = {}, first = 0): LogRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    timestamp: new Date(1_700_000_000_000 + i).toISOString(),
    appId,
    deploymentId: "d1",
    phase: "run" as const,
    source: "web-1/app",
    stream: "stdout" as const,
    line: `line ${first + i}`,
    ...over,
  }));
}

/** Pulls events until `stop` says so or `timeoutMs` passes. */
export async function collect(
  sub: LogSubscription,
  stop: (events: LogEvent[]) => boolean,
  timeoutMs = 20_000,
): Promise<LogEvent[]> {
  const events: LogEvent[] = [];
  const iterator = sub[Symbol.asyncIterator]();
  const deadline = Date.now() + timeoutMs;
  while (!stop(events)) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`collect timed out after ${events.length} events`);
    const next = await Promise.race([
      iterator.next(),
      new Promise<"timeout">((r) => setTimeout(() => r("timeout"), left)),
    ]);
    if (next === "timeout") continue;
    if (next.done) break;
    events.push(next.value);
  }
  return events;
}

const recordsOf = (events: LogEvent[]) => events.flatMap((e) => (e.type === "record" ? [e.record] : []));

/** The behaviour every LogStore adapter must have (run by file.test.ts and kafka.int.test.ts). */
export function runLogStoreContract(name: string, makeStore: MakeStore): void {
  const withStore = async (body: (store: LogStore) => Promise<void>): Promise<void> => {
    const store = await makeStore();
    try {
      await body(store);
    } finally {
      await store.close();
    }
  };

  describe(`LogStore contract: ${name}`, () => {
    it("assigns increasing offsets and reads records back in order with every field", () =>
      withStore(async (store) => {
        const app = freshAppId("order");
        const a = await store.append(app, makeRecords(app, 3));
        const b = await store.append(app, makeRecords(app, 2, { stream: "stderr", phase: "build" }, 3));
        const offsets = [...a, ...b];
        expect(offsets).toHaveLength(5);
        for (let i = 1; i < offsets.length; i++) expect(offsets[i]).toBeGreaterThan(offsets[i - 1] as number);
        const result = await store.read(app);
        expect(result.records.map((r) => r.offset)).toEqual(offsets);
        expect(result.records.map((r) => r.line)).toEqual(["line 0", "line 1", "line 2", "line 3", "line 4"]);
        expect(result.records[4]).toMatchObject({
          appId: app,
          phase: "build",
          stream: "stderr",
          deploymentId: "d1",
        });
        expect(result.next).toBe(result.end);
        expect(result.end).toBe((offsets.at(-1) as number) + 1);
      }));

    it("pages through history with limit and next, each record exactly once", () =>
      withStore(async (store) => {
        const app = freshAppId("pages");
        await store.append(app, makeRecords(app, 25));
        const lines: string[] = [];
        let from: number | undefined;
        for (let page = 0; page < 10; page++) {
          const result = await store.read(app, { ...(from === undefined ? {} : { from }), limit: 7 });
          lines.push(...result.records.map((r) => r.line));
          if (result.next >= result.end) break;
          from = result.next;
        }
        expect(lines).toEqual(makeRecords(app, 25).map((r) => r.line));
      }));

    it("filters by phase and deployment, and tails the last matching lines", () =>
      withStore(async (store) => {
        const app = freshAppId("filter");
        await store.append(app, makeRecords(app, 5, { phase: "build", deploymentId: "d1" }));
        await store.append(app, makeRecords(app, 30, { phase: "run", deploymentId: "d1" }, 5));
        await store.append(app, makeRecords(app, 4, { phase: "run", deploymentId: "d2" }, 35));
        const build = await store.read(app, { phase: "build" });
        expect(build.records.map((r) => r.line)).toEqual(["line 0", "line 1", "line 2", "line 3", "line 4"]);
        const d2 = await store.read(app, { deployment: "d2" });
        expect(d2.records.map((r) => r.line)).toEqual(["line 35", "line 36", "line 37", "line 38"]);
        const tail = await store.read(app, { tail: 3 });
        expect(tail.records.map((r) => r.line)).toEqual(["line 36", "line 37", "line 38"]);
        const buildTail = await store.read(app, { tail: 2, phase: "build" });
        expect(buildTail.records.map((r) => r.line)).toEqual(["line 3", "line 4"]);
      }));

    it("rejects an invalid batch whole, with a stable code", () =>
      withStore(async (store) => {
        const app = freshAppId("invalid");
        const bad = [...makeRecords(app, 1), { ...makeRecords(app, 1)[0], phase: "deploy" }] as LogRecord[];
        await expect(store.append(app, bad)).rejects.toMatchObject({ code: "LOGSTORE_INVALID_RECORD" });
        const other = makeRecords("someone-else", 1);
        await expect(store.append(app, other)).rejects.toMatchObject({ code: "LOGSTORE_INVALID_RECORD" });
        expect((await store.read(app)).records).toEqual([]);
      }));

    it("splits lines over 16 KiB with a partial marker and keeps every character", () =>
      withStore(async (store) => {
        const app = freshAppId("split");
        const long = "é€😀x".repeat(4000); // 40,000 bytes of mixed widths
        const offsets = await store.append(app, makeRecords(app, 1, { line: long }));
        expect(offsets.length).toBe(3);
        const { records } = await store.read(app);
        expect(records.map((r) => r.partial)).toEqual([true, true, undefined]);
        for (const r of records) expect(Buffer.byteLength(r.line)).toBeLessThanOrEqual(16 * 1024);
        expect(records.map((r) => r.line).join("")).toBe(long);
      }));

    it("keeps apps apart, whatever characters the app id has", () =>
      withStore(async (store) => {
        const a = freshAppId("Weird App/ü.1");
        const b = freshAppId("weird-app-_-u-1");
        await store.append(a, makeRecords(a, 2));
        await store.append(b, makeRecords(b, 3));
        expect((await store.read(a)).records.map((r) => r.appId)).toEqual([a, a]);
        expect((await store.read(b)).records).toHaveLength(3);
      }));

    it("masks secret values before they are stored", () =>
      withStore(async (plain) => {
        const store = withSecretMasking(plain, () => ["hunter22", "s3cr3t-token"]);
        const app = freshAppId("mask");
        await store.append(
          app,
          makeRecords(app, 1, { line: "pw=hunter22 tok=s3cr3t-token!", phase: "build" }),
        );
        const { records } = await plain.read(app);
        expect(records[0]?.line).toBe("pw=**** tok=****!");
      }));

    it("streams history then live lines from an offset, with no gap and no repeat", () =>
      withStore(async (store) => {
        const app = freshAppId("stream");
        await store.append(app, makeRecords(app, 50));
        const sub = store.subscribe(app, { from: 0 });
        const producing = (async () => {
          for (let i = 0; i < 10; i++) await store.append(app, makeRecords(app, 20, {}, 50 + i * 20));
        })();
        const events = await collect(sub, (e) => e.length >= 250);
        await producing;
        await sub.close();
        expect(events.every((e) => e.type === "record")).toBe(true);
        const stored = await store.read(app, { limit: 1000 });
        expect(recordsOf(events)).toEqual(stored.records);
      }));

    it("resumes from the offset after the last line seen", () =>
      withStore(async (store) => {
        const app = freshAppId("resume");
        const offsets = await store.append(app, makeRecords(app, 30));
        const first = store.subscribe(app, { from: offsets[0] as number });
        const seen = recordsOf(await collect(first, (e) => e.length >= 12));
        await first.close();
        const last = seen.at(-1)?.offset as number;
        await store.append(app, makeRecords(app, 5, {}, 30));
        const second = store.subscribe(app, { from: last + 1 });
        const rest = recordsOf(await collect(second, (e) => e.length >= 35 - seen.length));
        await second.close();
        expect([...seen, ...rest].map((r) => r.line)).toEqual(makeRecords(app, 35).map((r) => r.line));
      }));

    it("delivers only new lines by default, or the last n with tail, and filters live lines", () =>
      withStore(async (store) => {
        const app = freshAppId("live");
        await store.append(app, makeRecords(app, 10));
        const live = store.subscribe(app);
        const tail = store.subscribe(app, { tail: 2, phase: "run" });
        await new Promise((r) => setTimeout(r, 300));
        await store.append(app, makeRecords(app, 1, { phase: "build" }, 10));
        await store.append(app, makeRecords(app, 1, {}, 11));
        const liveLines = recordsOf(await collect(live, (e) => e.length >= 2)).map((r) => r.line);
        const tailLines = recordsOf(await collect(tail, (e) => e.length >= 3)).map((r) => r.line);
        await Promise.all([live.close(), tail.close()]);
        expect(liveLines).toEqual(["line 10", "line 11"]);
        expect(tailLines).toEqual(["line 8", "line 9", "line 11"]);
      }));

    it("gives a slow consumer a drop marker instead of buffering without bound", () =>
      withStore(async (store) => {
        const app = freshAppId("slow");
        await store.append(app, makeRecords(app, 10));
        const sub = store.subscribe(app, { from: 0, maxLag: 40 });
        const head = await collect(sub, (e) => e.length >= 10);
        await store.append(app, makeRecords(app, 500, {}, 10));
        const end = (await store.read(app, { tail: 1 })).end;
        const rest = await collect(sub, (e) => {
          const last = e.at(-1);
          return last?.type === "record" && last.record.offset === end - 1;
        });
        await sub.close();
        const drops = rest.filter((e) => e.type === "dropped");
        expect(drops.length).toBeGreaterThan(0);
        // Every offset is accounted for exactly once: delivered, or inside a reported drop.
        const covered: number[] = [];
        for (const e of [...head, ...rest]) {
          if (e.type === "record") covered.push(e.record.offset);
          else for (let o = e.from; o < e.to; o++) covered.push(o);
          if (e.type === "dropped") expect(e.dropped).toBe(e.to - e.from);
        }
        const all = (await store.read(app, { limit: 10_000 })).records.map((r) => r.offset);
        expect(covered).toEqual(all);
        expect(recordsOf(rest).length).toBeLessThan(500);
      }));

    it("ends a subscription on close, even while it waits for lines", () =>
      withStore(async (store) => {
        const app = freshAppId("close");
        const sub = store.subscribe(app);
        const pending = sub[Symbol.asyncIterator]().next();
        await new Promise((r) => setTimeout(r, 200));
        await sub.close();
        expect((await pending).done).toBe(true);
      }));
  });
}
