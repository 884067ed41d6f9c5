/** One line of `GET …/log?timestamps=true`: `<RFC 3339 nano timestamp> <content>`. */
export interface TimedLine {
  readonly timestamp: string;
  readonly line: string;
}

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})) ?(.*)$/s;

export function parseTimedLine(raw: string): TimedLine | undefined {
  const match = TIMESTAMP.exec(raw);
  if (!match?.[1]) return undefined;
  return { timestamp: match[1], line: match[2] ?? "" };
}

/** Nanosecond-precision comparison key; RFC 3339 strings of different precision do not sort as text. */
export function timeKey(timestamp: string): bigint {
  const match = /^(.*?)(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(timestamp);
  const seconds = Date.parse(`${match?.[1] ?? timestamp}${match?.[3] ?? ""}`);
  const fraction = (match?.[2] ?? "").padEnd(9, "0").slice(0, 9);
  return BigInt(Math.floor(seconds / 1000)) * 1_000_000_000n + BigInt(fraction || "0");
}

/**
 * Where a container's log was read up to: the newest timestamp, and the lines already taken at exactly
 * that timestamp. Resuming asks the API server for `sinceTime` (second precision, inclusive), so the
 * boundary is re-sent: lines older than the checkpoint, or at its timestamp with content already seen,
 * are duplicates. Two identical lines with the same nanosecond timestamp are indistinguishable anyway.
 */
export class Checkpoint {
  #key = -1n;
  #timestamp: string | undefined;
  #seen = new Map<string, number>();
  #replayed = new Map<string, number>();

  constructor(timestamp?: string, linesAtTimestamp: readonly string[] = []) {
    if (timestamp) {
      this.#key = timeKey(timestamp);
      this.#timestamp = timestamp;
      for (const line of linesAtTimestamp) this.#seen.set(line, (this.#seen.get(line) ?? 0) + 1);
    }
  }

  /** The `sinceTime` to resume from (undefined: from the start). */
  get since(): string | undefined {
    return this.#timestamp;
  }

  /** Call before each new connection: boundary lines are matched against what was seen. */
  reconnecting(): void {
    this.#replayed = new Map();
  }

  /** True if the line is new (and records it). */
  accept(entry: TimedLine): boolean {
    const key = timeKey(entry.timestamp);
    if (key < this.#key) return false;
    if (key === this.#key) {
      const seen = this.#seen.get(entry.line) ?? 0;
      const replayed = this.#replayed.get(entry.line) ?? 0;
      if (replayed < seen) {
        this.#replayed.set(entry.line, replayed + 1);
        return false;
      }
      this.#seen.set(entry.line, seen + 1);
      this.#replayed.set(entry.line, replayed + 1);
      return true;
    }
    this.#key = key;
    this.#timestamp = entry.timestamp;
    this.#seen = new Map([[entry.line, 1]]);
    this.#replayed = new Map([[entry.line, 1]]);
    return true;
  }
}
