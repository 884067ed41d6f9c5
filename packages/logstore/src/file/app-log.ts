import { type FileHandle, mkdir, open, readdir, unlink } from "node:fs/promises";
import { join } from "node:path";
import { LogStoreError } from "../errors.ts";
import type { LogRecord, StoredLogRecord } from "../record.ts";
import { encodeRecords } from "./record-codec.ts";
import { readSegment } from "./segment-read.ts";
import { INDEX_STRIDE, type SegmentInfo, scanSegment } from "./segment-scan.ts";

export type AppLogOptions = {
  readonly segmentBytes: number;
  readonly maxAgeMs: number;
  readonly maxBytes: number;
  readonly minLines: number;
  readonly fsyncIntervalMs: number;
  readonly now: () => number;
};

const SEGMENT_NAME = /^(\d{20})\.log$/;
const segmentName = (base: number): string => `${String(base).padStart(20, "0")}.log`;

/**
 * One app's log: segment files named by their first offset. Appends are serialized through a promise
 * chain (offsets are assigned in call order); `end` moves only once bytes are written, so readers never
 * see an offset whose record is not in the file yet.
 */
export class AppLog {
  end = 0;
  private assigned = 0;
  private active: FileHandle | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private dirty = false;
  private syncTimer: NodeJS.Timeout | undefined;
  private failure: LogStoreError | undefined;
  private closed = false;
  private readonly waiters = new Set<() => void>();

  private constructor(
    private readonly dir: string,
    private readonly appId: string,
    private readonly segments: SegmentInfo[],
    private readonly options: AppLogOptions,
  ) {
    const last = segments.at(-1);
    this.end = last === undefined ? 0 : last.base + last.count;
    this.assigned = this.end;
  }

  static async open(dir: string, appId: string, options: AppLogOptions): Promise<AppLog> {
    const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return [] as string[];
      throw error;
    });
    const bases = names
      .flatMap((n) => SEGMENT_NAME.exec(n)?.[1] ?? [])
      .map(Number)
      .sort((a, b) => a - b);
    const segments: SegmentInfo[] = [];
    for (const [i, base] of bases.entries()) {
      segments.push(await scanSegment(join(dir, segmentName(base)), base, i === bases.length - 1));
    }
    return new AppLog(dir, appId, segments, options);
  }

  get start(): number {
    return this.segments[0]?.base ?? this.end;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  append(records: readonly LogRecord[]): Promise<number[]> {
    if (this.closed) return Promise.reject(new LogStoreError("LOGSTORE_CLOSED", "Log store is closed"));
    const base = this.assigned;
    this.assigned += records.length;
    const batch = encodeRecords(records);
    const run = this.serialize(() => this.write(batch.text, batch.byteLengths));
    return run.then(() => records.map((_, i) => base + i));
  }

  async read(from: number, max: number): Promise<StoredLogRecord[]> {
    const out: StoredLogRecord[] = [];
    for (const segment of this.segments.slice()) {
      if (out.length >= max) break;
      const next = out.length === 0 ? from : (out.at(-1)?.offset ?? from) + 1;
      if (segment.base + segment.count <= next) continue;
      out.push(...(await readSegment(segment, this.appId, next, max - out.length)));
    }
    return out;
  }

  /** Resolves true when a record exists at or after `position`, false on timeout, abort or close. */
  waitFor(position: number, signal?: AbortSignal, waitMs?: number): Promise<boolean> {
    if (this.end > position) return Promise.resolve(true);
    if (this.closed || signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (): void => {
        this.waiters.delete(done);
        signal?.removeEventListener("abort", done);
        clearTimeout(timer);
        resolve(this.end > position);
      };
      const timer = waitMs === undefined ? undefined : setTimeout(done, waitMs);
      this.waiters.add(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  /** Deletes the oldest segments that are older than maxAge or beyond maxBytes, keeping minLines. */
  enforceRetention(): Promise<void> {
    return this.serialize(() => this.enforceRetentionNow());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.syncTimer);
    for (const wake of [...this.waiters]) wake();
    await this.serialize(async () => {
      await this.syncNow();
      await this.active?.close();
      this.active = undefined;
    });
  }

  private serialize<T>(step: () => Promise<T>): Promise<T> {
    const run = this.chain.then(() => {
      if (this.failure) throw this.failure;
      return step();
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async write(text: string, byteLengths: number[]): Promise<void> {
    try {
      const segment = await this.activeSegment();
      const data = Buffer.from(text);
      let written = 0;
      while (written < data.length) {
        written += (await (this.active as FileHandle).write(data, written)).bytesWritten;
      }
      this.index(segment, byteLengths);
      await this.afterWrite();
      if (segment.bytes >= this.options.segmentBytes) await this.roll();
    } catch (error) {
      // The file may now end in a partial record: refuse further appends; reopening recovers the tail.
      this.failure = new LogStoreError("LOGSTORE_WRITE_FAILED", "Writing the app log failed", {
        cause: error,
        details: { appId: this.appId },
      });
      throw this.failure;
    }
  }

  private index(segment: SegmentInfo, byteLengths: number[]): void {
    let pos = segment.bytes;
    for (const length of byteLengths) {
      if (segment.count % INDEX_STRIDE === 0) segment.index.push(pos);
      segment.count++;
      pos += length;
    }
    segment.bytes = pos;
    segment.lastWriteMs = this.options.now();
    this.end += byteLengths.length;
    for (const wake of [...this.waiters]) wake();
  }

  private async afterWrite(): Promise<void> {
    if (this.options.fsyncIntervalMs === 0) {
      await this.active?.sync();
      return;
    }
    this.dirty = true;
    this.syncTimer ??= setTimeout(() => {
      this.syncTimer = undefined;
      this.serialize(() => this.syncNow()).catch(() => undefined);
    }, this.options.fsyncIntervalMs).unref();
  }

  private async syncNow(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    await this.active?.sync();
  }

  private async activeSegment(): Promise<SegmentInfo> {
    const last = this.segments.at(-1);
    if (this.active !== undefined && last !== undefined) return last;
    await mkdir(this.dir, { recursive: true });
    const segment = last ?? this.newSegment();
    this.active = await open(segment.path, "a");
    if (last === undefined) this.segments.push(segment);
    return segment;
  }

  private newSegment(): SegmentInfo {
    const path = join(this.dir, segmentName(this.end));
    return { path, base: this.end, count: 0, bytes: 0, index: [], lastWriteMs: this.options.now() };
  }

  private async roll(): Promise<void> {
    this.dirty = true;
    await this.syncNow();
    await this.active?.close();
    this.active = undefined;
    const segment = this.newSegment();
    this.active = await open(segment.path, "a");
    this.segments.push(segment);
    await this.enforceRetentionNow();
  }

  private async enforceRetentionNow(): Promise<void> {
    const now = this.options.now();
    let total = this.segments.reduce((sum, s) => sum + s.bytes, 0);
    // The active (last) segment is never deleted, so `end` and the next offset survive any retention.
    while (this.segments.length > 1) {
      const oldest = this.segments[0] as SegmentInfo;
      const expired = now - oldest.lastWriteMs > this.options.maxAgeMs;
      const tooBig = total > this.options.maxBytes;
      if (!(expired || tooBig) || this.end - (oldest.base + oldest.count) < this.options.minLines) break;
      await unlink(oldest.path);
      this.segments.shift();
      total -= oldest.bytes;
    }
  }
}
