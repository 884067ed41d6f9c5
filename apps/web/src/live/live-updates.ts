import { useEffect, useRef, useSyncExternalStore } from "react";
import { openSocket, socketUrl } from "./browser-socket.ts";
import { EventStream, type PlatformEvent } from "./event-stream.ts";
import type { StreamStatus } from "./socket-like.ts";

export type { PlatformEvent };

interface Listener {
  readonly onEvent: (event: PlatformEvent) => void;
  readonly onResync: () => void;
}

/** One events socket per tab, shared by whatever page is showing (ADR 0096). */
const listeners = new Set<Listener>();
const statusListeners = new Set<() => void>();
let status: StreamStatus = { state: "connecting" };
let stream: EventStream | null = null;

function setStatus(next: StreamStatus): void {
  // Retrying stays "reconnecting" (retry in 0 s) so the notice does not blink off at each attempt.
  status =
    next.state === "connecting" && status.state === "reconnecting"
      ? { state: "reconnecting", retryInMs: 0, attempt: status.attempt }
      : next;
  for (const notify of statusListeners) notify();
}

/** Opens the events socket for a signed-in user; the returned function closes it (sign-out, unmount). */
export function startLiveUpdates(): () => void {
  const own = new EventStream({
    url: socketUrl("/api/events"),
    connect: openSocket,
    onEvent: (event) => {
      for (const l of [...listeners]) l.onEvent(event);
    },
    onResync: () => {
      for (const l of [...listeners]) l.onResync();
    },
    onStatus: setStatus,
  });
  stream = own;
  own.start();
  return () => {
    own.stop();
    if (stream === own) stream = null;
  };
}

export function reconnectLiveNow(): void {
  stream?.reconnectNow();
}

/** The events socket's state: pages poll while it is not live. */
export function useLiveStatus(): StreamStatus {
  return useSyncExternalStore(
    (notify) => {
      statusListeners.add(notify);
      return () => statusListeners.delete(notify);
    },
    () => status,
  );
}

/**
 * Calls `onEvent` for each pushed change and `onResync` after each (re)subscription, while mounted. The
 * latest callbacks are used, so callers need not memoise them.
 */
export function useLiveEvents(onEvent: (event: PlatformEvent) => void, onResync: () => void): void {
  const latest = useRef({ onEvent, onResync });
  latest.current = { onEvent, onResync };
  useEffect(() => {
    const listener: Listener = {
      onEvent: (event) => latest.current.onEvent(event),
      onResync: () => latest.current.onResync(),
    };
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }, []);
}
