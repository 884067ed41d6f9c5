/**
 * The client side of `/api/events` (ADR 0096): the signed-in user's deployment and app changes. The server
 * says `ready` once the subscription is in place; only then is the stream live, and `onResync` asks the
 * pages to fetch the current state, so nothing that changed before or while disconnected is missed.
 * Reconnects after 0.5 s doubling to 10 s; a close code 4000–4999 (signed out) is final. No DOM types.
 */
import type { App, Deployment } from "../api/types.ts";
import { ReconnectingSocket } from "./reconnecting-socket.ts";
import type { SocketLike, StreamStatus } from "./socket-like.ts";

export type PlatformEvent =
  | { readonly type: "deployment"; readonly app: string; readonly deployment: Deployment }
  | { readonly type: "app"; readonly app: App }
  | { readonly type: "app-deleted"; readonly app: string }
  /** New metric points of the app were stored (ADR 0217): fetch them; the event carries no figures. */
  | { readonly type: "metrics-updated"; readonly app: string };

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
  readonly #socket: ReconnectingSocket;
  private readonly options: EventStreamOptions;

  constructor(options: EventStreamOptions) {
    this.options = options;
    // Open is not live here: the subscription is in place only once the server says `ready`.
    this.#socket = new ReconnectingSocket({
      url: () => options.url,
      connect: options.connect,
      onMessage: (data) => this.#receive(data),
      onStatus: options.onStatus,
      maxDelayMs: options.maxDelayMs,
    });
  }

  start(): void {
    this.#socket.start();
  }

  stop(): void {
    this.#socket.stop();
  }

  reconnectNow(): void {
    this.#socket.reconnectNow();
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
      this.#socket.live();
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
  return (e.type === "app-deleted" || e.type === "metrics-updated") && typeof e.app === "string";
}
