import type { Readable } from "node:stream";
import { MAX_LINE_BYTES } from "./record.ts";

/** Receives one line, or one piece of a longer line (`partial`: more of the same line follows). */
export type OnLinePiece = (line: string, partial: boolean) => void;

/**
 * Splits a byte stream into lines as bytes arrive, cutting a line longer than `maxBytes` into pieces (never
 * inside a UTF-8 character) so a writer that never prints a newline cannot make the reader buffer without
 * limit: at most `maxBytes` plus one chunk is held at any time. A trailing `\r` is dropped, as readline does.
 */
export class LineSplitter {
  readonly #onPiece: OnLinePiece;
  readonly #maxBytes: number;
  #pending: Buffer = Buffer.alloc(0);

  constructor(onPiece: OnLinePiece, maxBytes: number = MAX_LINE_BYTES) {
    this.#onPiece = onPiece;
    this.#maxBytes = Math.max(4, maxBytes);
  }

  /** Bytes held for the line in progress (bounded by maxBytes between calls). */
  get pendingBytes(): number {
    return this.#pending.length;
  }

  push(chunk: Buffer | string): void {
    let data = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
    let newline = data.indexOf(0x0a);
    while (newline >= 0) {
      this.#append(data.subarray(0, newline));
      const line = this.#pending;
      this.#pending = Buffer.alloc(0);
      const end = line.length > 0 && line[line.length - 1] === 0x0d ? line.length - 1 : line.length;
      this.#onPiece(line.toString("utf8", 0, end), false);
      data = data.subarray(newline + 1);
      newline = data.indexOf(0x0a);
    }
    this.#append(data);
  }

  /** The stream ended: a last line without a newline is still a line. */
  end(): void {
    if (this.#pending.length === 0) return;
    const line = this.#pending;
    this.#pending = Buffer.alloc(0);
    this.#onPiece(line.toString("utf8"), false);
  }

  #append(bytes: Buffer): void {
    if (bytes.length === 0) return;
    let pending = this.#pending.length === 0 ? bytes : Buffer.concat([this.#pending, bytes]);
    while (pending.length > this.#maxBytes) {
      const cut = utf8Boundary(pending, this.#maxBytes);
      this.#onPiece(pending.toString("utf8", 0, cut), true);
      pending = pending.subarray(cut);
    }
    // A copy, so a small remainder does not pin a large chunk's memory.
    this.#pending = Buffer.from(pending);
  }
}

/** The largest index ≤ max that does not fall inside a UTF-8 sequence (continuation bytes are 10xxxxxx). */
function utf8Boundary(bytes: Buffer, max: number): number {
  let cut = max;
  while (cut > max - 3 && ((bytes[cut] ?? 0) & 0xc0) === 0x80) cut--;
  return cut;
}

/** Feeds a readable stream into a LineSplitter, flushing the last line at its end. */
export function readLines(input: Readable, onPiece: OnLinePiece, maxBytes?: number): LineSplitter {
  const splitter = new LineSplitter(onPiece, maxBytes);
  input.on("data", (chunk: Buffer | string) => splitter.push(chunk));
  input.on("end", () => splitter.end());
  return splitter;
}
