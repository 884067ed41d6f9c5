import { formationOf } from "@kli8nt/core";
import {
  enqueueAppChanged,
  formationOfApp,
  getApp,
  instanceCounts,
  listDeployments,
  lockFormations,
  releaseProcesses,
  setAppLifecycle,
  type Tx,
} from "@kli8nt/db";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { ApiDeps } from "../deps.ts";
import { assertInstanceLimits, type FormationConfig } from "../limits/formation-limits.ts";
import { requireUser } from "../plugins/auth.ts";
import { appNameParams, appView, commonErrors, problemView } from "../schemas.ts";
import { toAppView } from "../views.ts";

type Action = "restart" | "stop" | "start";

const SUMMARIES: Record<Action, string> = {
  restart: "Replace every instance, one at a time (a rolling restart); no rebuild",
  stop: "Scale every process to 0 and answer requests with a stopped page; the formation is kept",
  start: "Bring a stopped app back with its last formation",
};

/** Starting an app brings its instances back: the same limits as scaling up apply. */
async function assertRoomToStart(tx: Tx, app: { id: string; ownerId: string }, config: FormationConfig) {
  await lockFormations(tx);
  const current = await formationOfApp(tx, app, config.defaults);
  if (!current.stopped) return;
  const { processes } = await releaseProcesses(tx, app.id);
  const after = formationOf(processes, current.overrides, config.defaults).reduce((n, p) => n + p.count, 0);
  assertInstanceLimits(app, after, await instanceCounts(tx, config.defaults), config);
}

/** `POST /api/apps/:name/restart|stop|start` (ADR 0190): recorded, then converged by the controllers. */
export function lifecycleRoutes(deps: ApiDeps): FastifyPluginAsyncZod {
  const { db } = deps;
  return async (app) => {
    for (const action of ["restart", "stop", "start"] as const) {
      app.post(
        `/apps/:name/${action}`,
        {
          schema: {
            tags: ["apps"],
            summary: SUMMARIES[action],
            params: appNameParams,
            response: { 202: appView, ...commonErrors, 403: problemView },
          },
        },
        async (request, reply) => {
          const found = await getApp(db, requireUser(request).id, request.params.name);
          const updated = await db.transaction(async (tx) => {
            if (action === "start") await assertRoomToStart(tx, found, deps.config.formation);
            const change =
              action === "restart" ? { restartedAt: new Date() } : { stopped: action === "stop" };
            const app = await setAppLifecycle(tx, found.id, change);
            await enqueueAppChanged(tx, app, action);
            return app;
          });
          deps.onOutboxWrite();
          deps.events?.appChanged(updated.id);
          const latest = await listDeployments(db, updated.id, { limit: 1 });
          return reply
            .code(202)
            .send(toAppView(updated, latest.items[0] ?? null, deps.config.appUrlTemplate));
        },
      );
    }
  };
}
