import { eventually } from "@kli8nt/testkit";
import { WebSocket } from "ws";
import type { SocketLike } from "../../apps/web/src/live/socket-like.ts";

/**
 * The ws package behind the web streams' socket interface (what a browser's WebSocket gives them), with
 * the headers a browser would send; `opened` keeps each raw socket so a test can cut it.
 */
export function wsSocket(url: string, headers: Record<string, string>, opened?: WebSocket[]): SocketLike {
  const ws = new WebSocket(url, { headers });
  opened?.push(ws);
  const socket: SocketLike = {
    onopen: null,
    onmessage: null,
    onclose: null,
    onerror: null,
    close: () => ws.close(),
  };
  ws.on("open", () => socket.onopen?.());
  ws.on("message", (data) => socket.onmessage?.({ data: data.toString() }));
  ws.on("close", (code, reason) => socket.onclose?.({ code, reason: reason.toString() }));
  ws.on("error", () => socket.onerror?.());
  return socket;
}

/** Waits until `check` holds, polling every 20 ms. */
export async function until(what: string, check: () => boolean, ms: number): Promise<void> {
  await eventually(what, async () => (check() ? true : undefined), ms, 20);
}
