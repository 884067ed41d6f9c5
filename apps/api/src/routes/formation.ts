import { type AutoscaledEntry, autoscaleOf, formationOf, TerminalError, WEB_ONLY } from "@kli8nt/core";
import {
  enqueueAppChanged,
  type FormationSettings,
  formationOfApp,
  getApp,
  instanceCounts,
  lockFormations,
  releaseProcesses,
  saveFormation,
  schema,
  type Tx,
} from "@kli8nt/db";
import { eq } from "drizzle-orm";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { z } from "zod";
import type { ApiDeps } from "../deps.ts";
import { assertInstanceLimits, assertSizes, type FormationConfig } from "../limits/formation-limits.ts";
import { requireUser } from "../plugins/auth.ts";
import { appNameParams, commonErrors, problemView } from "../schemas.ts";
import { formationPatchBody, formationView, type ProcessChange } from "./formation-schemas.ts";

type View = z.infer<typeof formationView>;

/** The app's formation as the api shows it: counts as they run when started, with `stopped` beside. */
export async function formationViewOf(tx: Tx, appId: string, config: FormationConfig): Promise<View> {
  const current = await formationOfApp(tx, { id: appId }, config.defaults);
  const { processes } = await releaseProcesses(tx, appId);
  return {
    stopped: current.stopped,
    processes: formationOf(processes, current.overrides, config.defaults).map((p) => ({
      type: p.type,
      count: p.count,
      memory: p.memory,
      cpu: p.cpu,
      command: p.command,
      ...autoscaleView(current.overrides, p.type),
    })),
  };
}

function autoscaleView(overrides: FormationSettings, type: string) {
  const autoscale = autoscaleOf(overrides, type);
  return autoscale ? { autoscale } : {};
}

/** Applies one change to the stored overrides: a value sets, null clears, absent keeps. */
function applyChange(overrides: FormationSettings, change: ProcessChange): FormationSettings {
  const entry: FormationSettings[string] & AutoscaledEntry = { ...overrides[change.type] };
  for (const key of ["count", "memory", "cpu", "autoscale"] as const) {
    const value = change[key];
    if (value === null) delete entry[key];
    else if (value !== undefined) (entry as Record<string, unknown>)[key] = value;
  }
  const next = { ...overrides };
  if (Object.keys(entry).length === 0) delete next[change.type];
  else next[change.type] = entry;
  return next;
}

function assertKnownTypes(
  changes: readonly ProcessChange[],
  processes: Readonly<Record<string, string | null>> | null,
): void {
  const known = Object.keys(processes ?? WEB_ONLY);
  const unknown = changes.map((c) => c.type).filter((t) => !known.includes(t));
  if (unknown.length === 0) return;
  throw new TerminalError(
    "PROCESS_TYPE_UNKNOWN",
    `The current release has no process type ${unknown.map((t) => `"${t}"`).join(", ")}; it has ${known.join(", ")} (from its Procfile)`,
    {
      details: { unknown, known },
      issues: unknown.map((t) => ({ path: "body.processes", message: `unknown type ${t}` })),
    },
  );
}

export function formationRoutes(deps: ApiDeps): FastifyPluginAsyncZod {
  const { db } = deps;
  const config = deps.config.formation;
  return async (app) => {
    app.get(
      "/apps/:name/formation",
      {
        schema: {
          tags: ["formation"],
          summary: "The process types of the current release, how many of each run and at what size",
          params: appNameParams,
          response: { 200: formationView, ...commonErrors },
        },
      },
      async (request) => {
        const found = await getApp(db, requireUser(request).id, request.params.name);
        return formationViewOf(db, found.id, config);
      },
    );

    app.patch(
      "/apps/:name/formation",
      {
        schema: {
          tags: ["formation"],
          summary: "Scale and size process types without a rebuild",
          params: appNameParams,
          body: formationPatchBody,
          response: { 200: formationView, ...commonErrors, 403: problemView, 422: problemView },
        },
      },
      async (request) => {
        const found = await getApp(db, requireUser(request).id, request.params.name);
        const changes = request.body.processes;
        const view = await db.transaction(async (tx) => {
          await lockFormations(tx);
          const release = await releaseProcesses(tx, found.id);
          if (release.released) assertKnownTypes(changes, release.processes);
          const [row] = await tx
            .select({ formation: schema.apps.formation, stopped: schema.apps.stopped })
            .from(schema.apps)
            .where(eq(schema.apps.id, found.id));
          const overrides = changes.reduce(applyChange, row?.formation ?? {});
          const next = formationOf(release.processes, overrides, config.defaults);
          assertSizes(
            next.filter((p) => changes.some((c) => c.type === p.type)),
            config,
          );
          if (!row?.stopped) {
            // An autoscaled web may grow to its max: that is what the limits must allow.
            const most = (p: { type: string; count: number }) =>
              Math.max(p.count, autoscaleOf(overrides, p.type)?.max ?? 0);
            const after = next.reduce((n, p) => n + most(p), 0);
            assertInstanceLimits(found, after, await instanceCounts(tx, config.defaults), config);
          }
          await saveFormation(tx, found.id, overrides);
          await enqueueAppChanged(tx, found, "formation");
          return formationViewOf(tx, found.id, config);
        });
        deps.onOutboxWrite();
        deps.events?.appChanged(found.id);
        return view;
      },
    );
  };
}
