import { open, stat } from "node:fs/promises";
import { LogStoreError } from "../errors.ts";
import { isValidLine } from "./record-codec.ts";

/** Every INDEX_STRIDE-th record's byte position is kept in memory, so a read seeks close to any offset. */
export const INDEX_STRIDE = 256;

export type SegmentInfo = {
  readonly path: string;
  readonly base: number;
  count: number;
  bytes: number;
  /** index[i] = byte position of record base + i * INDEX_STRIDE. */
  readonly index: number[];
  lastWriteMs: number;
};

/**
 * Reads a segment to count its records and build its index. With `recover` (the newest segment after a
 * restart), a torn or corrupt tail — a last line without newline, or any line whose CRC fails, and all
 * lines after it — is cut off the file, as a crash in the middle of a write leaves it.
 */
export async function scanSegment(path: string, base: number, recover: boolean): Promise<SegmentInfo> {
  const handle = await open(path, recover ? "r+" : "r");
  try {
    const buffer = await handle.readFile();
    const info: SegmentInfo = {
      path,
      base,
      count: 0,
      bytes: 0,
      index: [],
      lastWriteMs: (await stat(path)).mtimeMs,
    };
    let pos = 0;
    while (pos < buffer.length) {
      const nl = buffer.indexOf(10, pos);
      if (nl === -1 || (recover && !isValidLine(buffer.toString("utf8", pos, nl)))) break;
      if (info.count % INDEX_STRIDE === 0) info.index.push(pos);
      info.count++;
      pos = nl + 1;
    }
    info.bytes = pos;
    if (pos < buffer.length) {
      if (!recover) {
        throw new LogStoreError("LOGSTORE_CORRUPT", "Log segment has an incomplete record", {
          details: { path },
        });
      }
      await handle.truncate(pos);
      await handle.sync();
    }
    return info;
  } finally {
    await handle.close();
  }
}
