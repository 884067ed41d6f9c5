import { request } from "node:https";
import { LineSplitter } from "@kli8nt/logstore";
import type { KubeConfig } from "@kubernetes/client-node";

export interface ContainerRef {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
}

/**
 * One `GET /api/v1/namespaces/{ns}/pods/{pod}/log?follow=true&timestamps=true[&sinceTime=…]` connection.
 * Calls `onLine` for every complete line; resolves when the server ends the stream (container finished,
 * or the server cut it), rejects on a transport or HTTP error. Plain node:https instead of the client's
 * Log helper, because that one pipes the body without forwarding its errors (a reset would hang).
 */
export async function streamContainerLog(
  kc: KubeConfig,
  ref: ContainerRef,
  sinceTime: string | undefined,
  onLine: (raw: string) => void,
  signal: AbortSignal,
): Promise<void> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("kubeconfig has no current cluster");
  const url = new URL(
    `/api/v1/namespaces/${encodeURIComponent(ref.namespace)}/pods/${encodeURIComponent(ref.pod)}/log`,
    cluster.server,
  );
  url.searchParams.set("container", ref.container);
  url.searchParams.set("follow", "true");
  url.searchParams.set("timestamps", "true");
  if (sinceTime) url.searchParams.set("sinceTime", sinceTime);
  const options: Parameters<typeof request>[1] = { method: "GET", headers: {} };
  await kc.applyToHTTPSOptions(options);
  await new Promise<void>((resolve, reject) => {
    const req = request(url, { ...options, signal }, (res) => {
      if (res.statusCode !== 200) {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk.slice(0, 2000);
        });
        res.on("end", () =>
          reject(
            Object.assign(new Error(`${url.pathname} answered ${res.statusCode}: ${body}`), {
              status: res.statusCode,
            }),
          ),
        );
        return;
      }
      // Bounded pieces as bytes arrive: a container printing without newlines must not grow memory.
      const splitter = new LineSplitter(prefixedPieces(onLine));
      res.on("data", (chunk: Buffer) => splitter.push(chunk));
      res.on("end", () => {
        // A last line without a newline is incomplete only if the stream was cut; the next connection
        // re-sends it from its timestamp, so it is dropped here rather than stored half.
        resolve();
      });
      res.on("error", reject);
      res.on("aborted", () => reject(new Error("log stream aborted")));
    });
    req.on("error", reject);
    req.end();
  });
}

/** Only a line's first piece carries the server's timestamp: the others get it prefixed. */
function prefixedPieces(onLine: (raw: string) => void): (piece: string, partial: boolean) => void {
  let prefix: string | null = null;
  return (piece, partial) => {
    onLine(prefix === null ? piece : `${prefix}${piece}`);
    if (prefix === null && partial) prefix = piece.slice(0, piece.indexOf(" ") + 1);
    if (!partial) prefix = null;
  };
}
