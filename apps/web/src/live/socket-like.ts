/** What the log and event streams need of a WebSocket: the browser's, or the `ws` package's in tests. */
export interface SocketLike {
  onopen: (() => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: (() => void) | null;
  close(): void;
}

export type StreamStatus =
  | { readonly state: "connecting" | "live" }
  | { readonly state: "reconnecting"; readonly retryInMs: number; readonly attempt: number }
  | { readonly state: "closed"; readonly reason: string };
