import { type LogRecord, MAX_LINE_BYTES } from "./record.ts";

/**
 * Splits a record whose line is longer than `maxBytes` UTF-8 bytes into pieces of at most `maxBytes`,
 * never inside a character; every piece but the last carries `partial: true`.
 */
export function splitLongLine(record: LogRecord, maxBytes: number = MAX_LINE_BYTES): LogRecord[] {
  // A JS string of n UTF-16 units is at most 3n UTF-8 bytes: most lines skip the encoding below.
  if (record.line.length * 3 <= maxBytes || Buffer.byteLength(record.line) <= maxBytes) return [record];
  const pieces: LogRecord[] = [];
  let rest = record.line;
  while (Buffer.byteLength(rest) > maxBytes) {
    const cut = cutIndex(rest, maxBytes);
    pieces.push({ ...record, line: rest.slice(0, cut), partial: true });
    rest = rest.slice(cut);
  }
  // The last piece keeps the input's own marker: it may itself be a piece of an even longer line.
  pieces.push({ ...record, line: rest });
  return pieces;
}

/** Largest index i such that rest.slice(0, i) fits in maxBytes and does not end inside a surrogate pair. */
function cutIndex(rest: string, maxBytes: number): number {
  let bytes = 0;
  let i = 0;
  while (i < rest.length) {
    const code = rest.codePointAt(i) ?? 0;
    const size = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    if (bytes + size > maxBytes) break;
    bytes += size;
    i += code >= 0x10000 ? 2 : 1;
  }
  return Math.max(i, 1);
}
