/**
 * The client side of the logs WebSocket: history then live lines, each with its offset. After a drop it
 * reconnects with `from=<last offset + 1>`, so no line is lost or repeated (ADR 0094). No DOM types: the
 * socket comes from a factory, so tests drive it with the `ws` package against a real server.
 */
import { ReconnectingSocket } from "../live/reconnecting-socket.ts";
import type { SocketLike, StreamStatus } from "../live/socket-like.ts";

export type { SocketLike, StreamStatus };

export interface LogLine {
  readonly offset: number;
  readonly timestamp: string;
  readonly phase: string;
  readonly stream: string;
  readonly source: string;
  readonly deploymentId: string;
  readonly line: string;
}

export interface LogStreamOptions {
  /** The stream URL: resume `from` an offset, or start with the last lines when null. */
  readonly url: (from: number | null) => string;
  readonly connect: (url: string) => SocketLike;
  readonly onLines: (lines: LogLine[]) => void;
  readonly onStatus: (status: StreamStatus) => void;
  /** Lines the server skipped for a slow reader, with their offset range [from, to). */
  readonly onDropped?: (count: number, from: number, to: number) => void;
  readonly maxDelayMs?: number;
}

export class LogStream {
  readonly #socket: ReconnectingSocket;
  #last: number | null = null;
  private readonly options: LogStreamOptions;

  constructor(options: LogStreamOptions) {
    this.options = options;
    // No `ready` on this socket: it is live once open.
    this.#socket = new ReconnectingSocket({
      url: () => options.url(this.#last === null ? null : this.#last + 1),
      connect: options.connect,
      onOpen: () => this.#socket.live(),
      onMessage: (data) => this.#receive(data),
      onStatus: options.onStatus,
      maxDelayMs: options.maxDelayMs,
    });
  }

  /** Offset of the last line delivered, or null before the first. */
  get lastOffset(): number | null {
    return this.#last;
  }

  start(): void {
    this.#socket.start();
  }

  stop(): void {
    this.#socket.stop();
  }

  /** Skip the wait and reconnect at once (a "Reconnect now" button). */
  reconnectNow(): void {
    this.#socket.reconnectNow();
  }

  #receive(data: unknown): void {
    const text = typeof data === "string" ? data : String(data);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return; // Not ours (a proxy's keep-alive text): nothing to show.
    }
    const lines: LogLine[] = [];
    for (const event of Array.isArray(parsed) ? parsed : [parsed]) this.#collect(event, lines);
    if (lines.length > 0) this.options.onLines(lines);
  }

  #collect(event: unknown, into: LogLine[]): void {
    const e = event as Record<string, unknown> | null;
    if (!e || typeof e !== "object") return;
    if (e.type === "dropped" && typeof e.from === "number" && typeof e.to === "number") {
      this.options.onDropped?.(Number(e.dropped ?? e.to - e.from), e.from, e.to);
      this.#last = Math.max(this.#last ?? -1, e.to - 1);
      return;
    }
    // The api sends {type:"record", ...record}; a nested {type, record} is accepted too.
    const nested = e.type === "record" && typeof e.record === "object" && e.record !== null;
    const line = toLine((nested ? e.record : e) as Record<string, unknown>);
    // Offsets only grow: anything at or below the last one is a repeat after a reconnect.
    if (!line || (this.#last !== null && line.offset <= this.#last)) return;
    this.#last = line.offset;
    into.push(line);
  }
}

function toLine(r: Record<string, unknown>): LogLine | null {
  if (typeof r.offset !== "number") return null;
  const text = r.line ?? r.text ?? r.message;
  if (typeof text !== "string") return null;
  return {
    offset: r.offset,
    timestamp: typeof r.timestamp === "string" ? r.timestamp : "",
    phase: typeof r.phase === "string" ? r.phase : "",
    stream: typeof r.stream === "string" ? r.stream : "stdout",
    source: typeof r.source === "string" ? r.source : "",
    deploymentId: typeof r.deploymentId === "string" ? r.deploymentId : "",
    line: text,
  };
}
