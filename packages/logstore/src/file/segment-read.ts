import { open } from "node:fs/promises";
import type { StoredLogRecord } from "../record.ts";
import { decodeLine } from "./record-codec.ts";
import { INDEX_STRIDE, type SegmentInfo } from "./segment-scan.ts";

const CHUNK_BYTES = 256 * 1024;

/**
 * Records [from, from + max) of one segment (clamped to what it holds): seeks to the nearest index entry,
 * then reads forward in chunks. Returns [] when the segment was removed by retention meanwhile.
 */
export async function readSegment(
  segment: SegmentInfo,
  appId: string,
  from: number,
  max: number,
): Promise<StoredLogRecord[]> {
  const first = Math.max(from, segment.base);
  const last = Math.min(first + max, segment.base + segment.count);
  if (first >= last) return [];
  const slot = Math.floor((first - segment.base) / INDEX_STRIDE);
  let offset = segment.base + slot * INDEX_STRIDE;
  let position = segment.index[slot] ?? 0;
  const limit = segment.bytes;
  const handle = await openOrNull(segment.path);
  if (handle === undefined) return [];
  const out: StoredLogRecord[] = [];
  try {
    // Carry bytes, not text: a chunk boundary may fall inside a multi-byte character.
    let carry = Buffer.alloc(0);
    while (offset < last && position < limit) {
      const size = Math.min(CHUNK_BYTES, limit - position);
      const buffer = Buffer.allocUnsafe(size);
      const { bytesRead } = await handle.read(buffer, 0, size, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const bytes =
        carry.length === 0
          ? buffer.subarray(0, bytesRead)
          : Buffer.concat([carry, buffer.subarray(0, bytesRead)]);
      const cut = bytes.lastIndexOf(10);
      carry = Buffer.from(bytes.subarray(cut + 1));
      if (cut === -1) continue;
      for (const line of bytes.toString("utf8", 0, cut).split("\n")) {
        if (offset >= first && offset < last) out.push(decodeLine(line, appId, offset));
        offset++;
      }
    }
  } finally {
    await handle.close();
  }
  return out;
}

async function openOrNull(path: string) {
  try {
    return await open(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}
