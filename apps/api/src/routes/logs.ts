import { getApp } from "@kli8nt/db";
import { type LogEvent, type LogStore, logPhaseSchema, type StoredLogRecord } from "@kli8nt/logstore";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { WebSocket } from "ws";
import { z } from "zod";
import type { ApiDeps } from "../deps.ts";
import { requireUser } from "../plugins/auth.ts";
import { appNameParams, commonErrors } from "../schemas.ts";

const phase = logPhaseSchema.optional();

export const logsQuery = z.strictObject({
  phase,
  deployment: z.string().min(1).max(64).optional(),
  from: z.coerce.number().int().min(0).optional().describe("First offset to return"),
  tail: z.coerce.number().int().min(1).max(10_000).optional().describe("The last n lines instead"),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
});

export const streamQuery = z.strictObject({
  phase,
  deployment: z.string().min(1).max(64).optional(),
  from: z.coerce.number().int().min(0).optional().describe("Resume after a reconnect: last offset seen + 1"),
  tail: z.coerce.number().int().min(0).max(10_000).optional().describe("Start with the last n lines"),
});

export const recordView = z.object({
  offset: z.number().int(),
  timestamp: z.string(),
  deploymentId: z.string(),
  phase: logPhaseSchema,
  source: z.string(),
  stream: z.enum(["stdout", "stderr"]),
  line: z.string(),
  partial: z.literal(true).optional(),
});

/** Bytes queued on a socket above which we stop pulling lines: the store then skips with a drop marker. */
const HIGH_WATER_BYTES = 1024 * 1024;

export function toView(r: StoredLogRecord): z.infer<typeof recordView> {
  return {
    offset: r.offset,
    timestamp: r.timestamp,
    deploymentId: r.deploymentId,
    phase: r.phase,
    source: r.source,
    stream: r.stream,
    line: r.line,
    ...(r.partial ? { partial: true as const } : {}),
  };
}

/** Log history (paged by offset) and the live stream (history first, then live, resumable by offset). */
export function logRoutes(deps: ApiDeps & { readonly logs: LogStore }): FastifyPluginAsyncZod {
  const { db, logs } = deps;
  return async (app) => {
    app.get(
      "/apps/:name/logs",
      {
        schema: {
          tags: ["logs"],
          summary: "An app's build and runtime log lines, by offset",
          params: appNameParams,
          querystring: logsQuery,
          response: {
            200: z.object({
              records: z.array(recordView),
              next: z.number().int(),
              end: z.number().int(),
              truncated: z
                .literal(true)
                .optional()
                .describe("The page stopped at its byte limit; read on from next"),
            }),
            ...commonErrors,
          },
        },
      },
      async (request) => {
        const found = await getApp(db, requireUser(request).id, request.params.name);
        const result = await logs.read(found.id, withoutUndefined(request.query));
        return capPage(result.records.map(toView), result.next, result.end);
      },
    );

    // The app is looked up before the upgrade, so a stranger or a missing app gets an HTTP problem, not a socket.
    const appIds = new WeakMap<object, string>();
    app.get(
      "/apps/:name/logs/stream",
      {
        websocket: true,
        preHandler: async (request) => {
          const { name } = request.params as { name: string };
          appIds.set(request, (await getApp(db, requireUser(request).id, name)).id);
        },
        schema: {
          tags: ["logs"],
          summary: "WebSocket: history from `from` (or the last `tail` lines), then live lines",
          params: appNameParams,
          querystring: streamQuery,
        },
      },
      async (socket, request) => {
        const appId = appIds.get(request);
        if (!appId) return socket.close(1011, "app lookup missing");
        const subscription = logs.subscribe(appId, withoutUndefined(request.query));
        socket.on("close", () => void subscription.close());
        try {
          for await (const event of subscription) {
            if (socket.readyState !== socket.OPEN) break;
            await waitForRoom(socket);
            socket.send(JSON.stringify(eventView(event)));
          }
        } finally {
          await subscription.close();
        }
      },
    );
  };
}

/** A log page's records stop short of this many bytes of JSON; `next` then resumes after the last one sent. */
export const PAGE_BYTE_LIMIT = 1024 * 1024;

/**
 * Caps a page's size: 10,000 lines of 16 KiB each would be a 160 MB answer held in memory at once. The
 * first record always goes, so a page always makes progress.
 */
export function capPage(records: z.infer<typeof recordView>[], next: number, end: number) {
  let bytes = 0;
  for (let i = 0; i < records.length; i++) {
    bytes += JSON.stringify(records[i]).length + 1;
    const record = records[i];
    if (bytes > PAGE_BYTE_LIMIT && i > 0 && record) {
      return { records: records.slice(0, i), next: record.offset, end, truncated: true as const };
    }
  }
  return { records, next, end };
}

function eventView(event: LogEvent) {
  return event.type === "record"
    ? { type: "record" as const, ...toView(event.record) }
    : { type: "dropped" as const, dropped: event.dropped, from: event.from, to: event.to };
}

/** Pull-based backpressure: a slow client stops our reads, so the store falls behind and drops instead. */
async function waitForRoom(socket: WebSocket): Promise<void> {
  while (socket.bufferedAmount > HIGH_WATER_BYTES && socket.readyState === socket.OPEN) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function withoutUndefined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}
