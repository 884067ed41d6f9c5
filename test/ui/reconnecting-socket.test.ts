import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ReconnectingSocket } from "../../apps/web/src/live/reconnecting-socket.ts";
import type { SocketLike, StreamStatus } from "../../apps/web/src/live/socket-like.ts";

// Fake sockets and timers pin the loop's timing and bookkeeping, which the server-backed stream tests
// (test/ui/event-stream.test.ts, log-stream.test.ts) cannot. The root vitest config leaves apps/web out:
// run with `npx vitest run --root apps/web src/live/reconnecting-socket.test.ts`.
class FakeSocket implements SocketLike {
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: (() => void) | null = null;
  closed = false;
  readonly url: string;

  constructor(url: string) {
    this.url = url;
  }

  close(): void {
    this.closed = true;
  }
}

function loop(options: { maxDelayMs?: number; onOpenLive?: boolean } = {}) {
  const sockets: FakeSocket[] = [];
  const statuses: StreamStatus[] = [];
  const messages: unknown[] = [];
  let attempt = 0;
  const socket: ReconnectingSocket = new ReconnectingSocket({
    url: () => `ws://test/${attempt++}`,
    connect: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    ...(options.onOpenLive ? { onOpen: () => socket.live() } : {}),
    onMessage: (data) => messages.push(data),
    onStatus: (s) => statuses.push(s),
    maxDelayMs: options.maxDelayMs,
  });
  const last = () => sockets.at(-1) as FakeSocket;
  return { socket, sockets, statuses, messages, last };
}

describe("ReconnectingSocket", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("is live only when the stream says so, and hands over messages", () => {
    const { socket, statuses, messages, last } = loop();
    socket.start();
    last().onopen?.();
    expect(statuses).toEqual([{ state: "connecting" }]);
    last().onmessage?.({ data: '{"type":"ready"}' });
    expect(messages).toEqual(['{"type":"ready"}']);
    socket.live();
    expect(statuses.at(-1)).toEqual({ state: "live" });
    socket.stop();
  });

  it("retries after 0.5 s doubling to the cap, asking for the URL again each time", () => {
    const { socket, sockets, statuses, last } = loop({ maxDelayMs: 3000 });
    socket.start();
    for (let i = 0; i < 4; i++) {
      last().onclose?.({ code: 1006, reason: "" });
      vi.runOnlyPendingTimers();
    }
    const retries = statuses.filter((s) => s.state === "reconnecting");
    expect(retries).toEqual([
      { state: "reconnecting", retryInMs: 500, attempt: 1 },
      { state: "reconnecting", retryInMs: 1000, attempt: 2 },
      { state: "reconnecting", retryInMs: 2000, attempt: 3 },
      { state: "reconnecting", retryInMs: 3000, attempt: 4 },
    ]);
    expect(sockets.map((s) => s.url)).toEqual([0, 1, 2, 3, 4].map((n) => `ws://test/${n}`));
    socket.stop();
  });

  it("waits the full delay before the next attempt", () => {
    const { socket, sockets, last } = loop();
    socket.start();
    last().onclose?.({ code: 1006, reason: "" });
    vi.advanceTimersByTime(499);
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(2);
    socket.stop();
  });

  it("starts the backoff over once live again", () => {
    const { socket, statuses, last } = loop({ onOpenLive: true });
    socket.start();
    last().onclose?.({ code: 1006, reason: "" });
    vi.runOnlyPendingTimers();
    last().onclose?.({ code: 1006, reason: "" });
    vi.runOnlyPendingTimers();
    last().onopen?.();
    last().onclose?.({ code: 1006, reason: "" });
    expect(statuses.at(-1)).toEqual({ state: "reconnecting", retryInMs: 500, attempt: 1 });
    socket.stop();
  });

  it("stops for good on a 4xxx close, with its reason or its code", () => {
    for (const { code, reason, said } of [
      { code: 4401, reason: "Signed out", said: "Signed out" },
      { code: 4404, reason: "", said: "closed with code 4404" },
    ]) {
      const { socket, sockets, statuses, last } = loop();
      socket.start();
      last().onclose?.({ code, reason });
      vi.runAllTimers();
      expect(sockets).toHaveLength(1);
      expect(sockets[0]?.closed).toBe(true);
      expect(statuses.at(-1)).toEqual({ state: "closed", reason: said });
      // Refused is not stopped: a "Reconnect now" still tries again.
      socket.reconnectNow();
      expect(sockets).toHaveLength(2);
      socket.stop();
    }
  });

  it("stop closes the socket, cancels a pending retry and ignores what the old socket still says", () => {
    const { socket, sockets, statuses, messages, last } = loop();
    socket.start();
    const first = last();
    first.onclose?.({ code: 1006, reason: "" });
    socket.stop();
    vi.runAllTimers();
    expect(sockets).toHaveLength(1);

    socket.start();
    const second = last();
    socket.stop();
    expect(second.closed).toBe(true);
    const before = statuses.length;
    second.onopen?.();
    second.onmessage?.({ data: "late" });
    second.onclose?.({ code: 1006, reason: "" });
    vi.runAllTimers();
    expect(messages).toEqual([]);
    expect(statuses).toHaveLength(before);
    expect(sockets).toHaveLength(2);
  });

  it("start is once: a second call opens no second socket", () => {
    const { socket, sockets } = loop();
    socket.start();
    socket.start();
    expect(sockets).toHaveLength(1);
    socket.stop();
  });

  it("reconnectNow skips the wait, resets the backoff and drops the old socket", () => {
    const { socket, sockets, statuses, messages, last } = loop();
    socket.start();
    last().onclose?.({ code: 1006, reason: "" });
    vi.runOnlyPendingTimers();
    last().onclose?.({ code: 1006, reason: "" }); // A 1 s retry is pending.
    socket.reconnectNow();
    expect(sockets).toHaveLength(3);
    vi.runAllTimers();
    expect(sockets).toHaveLength(3); // The pending retry was cancelled.

    const replaced = last();
    socket.reconnectNow();
    expect(replaced.closed).toBe(true);
    replaced.onmessage?.({ data: "late" });
    replaced.onclose?.({ code: 1006, reason: "" });
    expect(messages).toEqual([]);
    last().onclose?.({ code: 1006, reason: "" });
    expect(statuses.at(-1)).toEqual({ state: "reconnecting", retryInMs: 500, attempt: 1 });
    socket.stop();
  });

  it("reconnectNow does nothing before start or after stop", () => {
    const { socket, sockets } = loop();
    socket.reconnectNow();
    expect(sockets).toHaveLength(0);
    socket.start();
    socket.stop();
    socket.reconnectNow();
    expect(sockets).toHaveLength(1);
  });
});
