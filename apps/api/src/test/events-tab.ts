import type { DeploymentProgress, DeploymentState } from "@kli8nt/core";
import WebSocket from "ws";

// What the /api/events suites (events.test.ts, cross-replica.int.test.ts) share: a browser tab on the
// socket, and the INFORM message a controller sends for a step.

export type Received = {
  type: string;
  app?: unknown;
  deployment?: { id: string; state: string; number: number };
};

export interface Tab {
  readonly ws: WebSocket;
  readonly got: Received[];
  /** Resolves with the first message (already received or still to come) that matches. */
  until(match: (e: Received) => boolean, timeoutMs?: number): Promise<Received>;
  readonly closed: Promise<{ code: number; reason: string }>;
}

/**
 * Opens `${base}/api/events` as a browser tab would and waits for "ready" (the subscription is in place).
 * The socket is added to `opened`, for the suite to terminate at the end.
 */
export async function openEventsTab(
  base: string,
  headers: Record<string, string>,
  opened: WebSocket[],
): Promise<Tab> {
  const ws = new WebSocket(`${base}/api/events`, { headers });
  opened.push(ws);
  const got: Received[] = [];
  const waiters = new Set<() => void>();
  ws.on("message", (data) => {
    got.push(JSON.parse(String(data)));
    for (const w of [...waiters]) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on("close", (code, reason) => resolve({ code, reason: String(reason) })),
  );
  const until = (match: (e: Received) => boolean, timeoutMs = 5000) =>
    new Promise<Received>((resolve, reject) => {
      const check = () => {
        const hit = got.find(match);
        if (!hit) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(hit);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no matching event in ${timeoutMs} ms; got ${JSON.stringify(got)}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  await until((e) => e.type === "ready");
  return { ws, got, until, closed };
}

/** The INFORM body a controller publishes when a deployment reaches `state`. */
export const progressMessage = (
  deploymentId: string,
  appId: string,
  state: DeploymentState,
): DeploymentProgress => ({
  type: "DeploymentProgress",
  version: 1,
  deploymentId,
  appId,
  step: state === "building" || state === "built" ? "build" : "deploy",
  state,
  reason: null,
  url: state === "live" ? "http://x.localhost:8000" : null,
  image: state === "built" ? `localhost/kli8nt/x@sha256:${"a".repeat(64)}` : null,
  commitSha: null,
  at: new Date().toISOString(),
});
