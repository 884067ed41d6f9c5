import WebSocket from "ws";
import type { ApiClient } from "./api-client.ts";
import type { LogEvent, LogLine } from "./views.ts";

export interface FollowOptions {
  readonly phase?: LogLine["phase"] | undefined;
  readonly deployment?: string | undefined;
  readonly tail?: number | undefined;
  readonly from?: number | undefined;
  readonly signal: AbortSignal;
  readonly onEvent: (event: LogEvent) => void;
}

/**
 * Follows an app's log stream until `signal` aborts, reconnecting with `from = last offset + 1` after a
 * dropped connection, so the caller sees every line once, in order.
 */
export async function followLogs(client: ApiClient, app: string, options: FollowOptions): Promise<void> {
  let next = options.from;
  let delay = 250;
  while (!options.signal.aborted) {
    const query = streamQuery(options, next);
    const opened = await streamOnce(client, `/api/apps/${app}/logs/stream?${query}`, options, (offset) => {
      next = offset + 1;
      delay = 250;
    });
    if (options.signal.aborted) return;
    if (!opened) delay = Math.min(delay * 2, 5000);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/** Resumes from the next offset once one was seen; before that, starts from `from` or the last `tail` lines. */
function streamQuery(options: FollowOptions, next: number | undefined): URLSearchParams {
  const query = new URLSearchParams();
  if (options.phase) query.set("phase", options.phase);
  if (options.deployment) query.set("deployment", options.deployment);
  if (next !== undefined) query.set("from", String(next));
  else if (options.tail !== undefined) query.set("tail", String(options.tail));
  return query;
}

function streamOnce(
  client: ApiClient,
  path: string,
  options: FollowOptions,
  onOffset: (offset: number) => void,
): Promise<boolean> {
  return new Promise((resolve) => {
    let opened = false;
    const ws = new WebSocket(client.wsUrl(path), {
      headers: { authorization: `Bearer ${client.credentials.token}` },
    });
    const abort = () => ws.close();
    options.signal.addEventListener("abort", abort, { once: true });
    ws.on("open", () => {
      opened = true;
    });
    ws.on("message", (data) => {
      const event = JSON.parse(String(data)) as LogEvent;
      if (event.type === "record") onOffset(event.offset);
      options.onEvent(event);
    });
    ws.on("error", () => undefined); // the close that follows triggers the reconnect
    ws.on("close", () => {
      options.signal.removeEventListener("abort", abort);
      resolve(opened);
    });
  });
}
