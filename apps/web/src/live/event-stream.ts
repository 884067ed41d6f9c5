/**
 * The client side of `/api/events` (ADR 0096): the signed-in user's deployment and app changes. The server
 * says `ready` once the subscription is in place; only then is the stream live, and `onResync` asks the
 * pages to fetch the current state, so nothing that changed before or while disconnected is missed.
 * Reconnects after 0.5 s doubling to 10 s; a close code 4000–4999 (signed out) is final. No DOM types.
 */
import type { App, Deployment } from "../api/types.ts";
import type { SocketLike, StreamStatus } from "./socket-like.ts";

export type PlatformEvent =
  | { readonly type: "deployment"; readonly app: string; readonly deployment: Deployment }
  | { readonly type: "app"; readonly app: App }
  | { readonly type: "app-deleted"; readonly app: string };

export interface EventStreamOptions {
  readonly url: string;
  readonly connect: (url: string) => SocketLike;
  readonly onEvent: (event: PlatformEvent) => void;
  /** Subscribed (first time or after a reconnect): fetch what is current now. */
  readonly onResync: () => void;
  readonly onStatus: (status: StreamStatus) => void;
  readonly maxDelayMs?: number;
}

export class EventStream {
  #socket: SocketLike | null = null;
  #attempt = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #stopped = true;
  private readonly options: EventStreamOptions;

  constructor(options: EventStreamOptions) {
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

  reconnectNow(): void {
    if (this.#stopped) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#socket?.close();
    this.#attempt = 0;
    this.#open();
  }

  #open(): void {
    this.#timer = null;
    this.options.onStatus({ state: "connecting" });
    const socket = this.options.connect(this.options.url);
    this.#socket = socket;
    const current = () => this.#socket === socket && !this.#stopped;
    socket.onopen = () => undefined;
    socket.onerror = () => undefined;
    socket.onmessage = (event) => {
      if (current()) this.#receive(event.data);
    };
    socket.onclose = (event) => {
      if (!current()) return;
      this.#socket = null;
      if (event.code >= 4000 && event.code < 5000) {
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

  #receive(data: unknown): void {
    let event: unknown;
    try {
      event = JSON.parse(typeof data === "string" ? data : String(data));
    } catch {
      return; // Not ours (a proxy's keep-alive text).
    }
    const e = event as { type?: unknown } | null;
    if (e?.type === "ready") {
      this.#attempt = 0;
      this.options.onStatus({ state: "live" });
      this.options.onResync();
      return;
    }
    if (isPlatformEvent(event)) this.options.onEvent(event);
  }
}

function isPlatformEvent(value: unknown): value is PlatformEvent {
  const e = value as Record<string, unknown> | null;
  if (!e || typeof e !== "object") return false;
  if (e.type === "deployment") return typeof e.app === "string" && typeof e.deployment === "object";
  if (e.type === "app") return typeof e.app === "object" && e.app !== null;
  return e.type === "app-deleted" && typeof e.app === "string";
}
