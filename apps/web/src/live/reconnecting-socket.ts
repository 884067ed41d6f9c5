/**
 * The reconnect loop the event and log streams share: one socket at a time, retried after 0.5 s doubling
 * to `maxDelayMs` (10 s unless set), until a close code 4000–4999 (the server refused for a reason
 * retrying cannot fix: not signed in, no such app). What "live" means is the stream's call: it says `live()`.
 */
import type { SocketLike, StreamStatus } from "./socket-like.ts";

export interface ReconnectingSocketOptions {
  /** Asked again at each attempt, so a stream can resume where it left off. */
  readonly url: () => string;
  readonly connect: (url: string) => SocketLike;
  readonly onOpen?: () => void;
  readonly onMessage: (data: unknown) => void;
  readonly onStatus: (status: StreamStatus) => void;
  readonly maxDelayMs?: number | undefined;
}

export class ReconnectingSocket {
  #socket: SocketLike | null = null;
  #attempt = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #stopped = true;
  private readonly options: ReconnectingSocketOptions;

  constructor(options: ReconnectingSocketOptions) {
    this.options = options;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#open();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#socket?.close();
    this.#socket = null;
  }

  /** Skip the wait and reconnect at once (a "Reconnect now" button). */
  reconnectNow(): void {
    if (this.#stopped) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#socket?.close();
    this.#attempt = 0;
    this.#open();
  }

  /** The stream works again: say so, and let the next drop start its backoff from 0.5 s. */
  live(): void {
    this.#attempt = 0;
    this.options.onStatus({ state: "live" });
  }

  #open(): void {
    this.#timer = null;
    this.options.onStatus({ state: "connecting" });
    const socket = this.options.connect(this.options.url());
    this.#socket = socket;
    // Events of a socket this loop has let go of (stopped, replaced, refused) are ignored.
    const current = () => this.#socket === socket && !this.#stopped;
    socket.onopen = () => {
      if (current()) this.options.onOpen?.();
    };
    socket.onmessage = (event) => {
      if (current()) this.options.onMessage(event.data);
    };
    socket.onerror = () => undefined;
    socket.onclose = (event) => {
      if (!current()) return;
      this.#socket = null;
      if (event.code >= 4000 && event.code < 5000) {
        socket.close(); // A no-op once the server has closed; frees one that only reported the code.
        this.options.onStatus({ state: "closed", reason: event.reason || `closed with code ${event.code}` });
        return;
      }
      this.#retry();
    };
  }

  #retry(): void {
    const delay = Math.min(this.options.maxDelayMs ?? 10_000, 500 * 2 ** this.#attempt);
    this.#attempt += 1;
    this.options.onStatus({ state: "reconnecting", retryInMs: delay, attempt: this.#attempt });
    this.#timer = setTimeout(() => this.#open(), delay);
  }
}
