import { ConflictError } from "@kli8nt/core";
import { type AddonRow, addonEnv, getApp, getAppAddon, listAddons, PASSWORD_IN_CLUSTER } from "@kli8nt/db";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AddonService } from "../addons/addon-service.ts";
import type { ApiDeps } from "../deps.ts";
import { requireUser } from "../plugins/auth.ts";
import { appNameParams, commonErrors, problemView } from "../schemas.ts";
import {
  addonParams,
  addonView,
  backupParams,
  backupView,
  connectionView,
  createBody,
  dumpView,
  removedView,
  type ServerConnection,
  toView,
} from "./addon-views.ts";

/** The add-on's variables as one object; 409 while it has no server address yet. */
function connectionOf(deps: ApiDeps, row: AddonRow): ServerConnection {
  const vars = new Map(addonEnv(deps.box, row).map((v) => [v.key, v.value]));
  if (vars.size === 0)
    throw new ConflictError(
      "ADDON_NOT_READY",
      `The add-on is not ready (status ${row.status}${row.detail ? `: ${row.detail}` : ""}); its connection exists once it is ready`,
    );
  const get = (key: string) => vars.get(key) ?? "";
  return {
    host: get("PGHOST"),
    port: Number(get("PGPORT")),
    user: get("PGUSER"),
    password: get("PGPASSWORD"),
    database: get("PGDATABASE"),
    url: get("DATABASE_URL"),
  };
}

function requireAddons(deps: ApiDeps): AddonService {
  if (deps.addons?.available) return deps.addons;
  throw new ConflictError(
    "ADDONS_UNAVAILABLE",
    "Managed PostgreSQL is not available on this platform: it runs apps in process mode, or no add-on " +
      "server is configured (KLI8NT_ADDONS=podman, or KLI8NT_ADDONS=url with KLI8NT_ADDONS_POSTGRES_URL)",
  );
}

/**
 * `…/apps/:name/addons` (issue 25, ADR 0225, 0228): create (optionally from a final dump), list, reveal,
 * back up, restore, delete with confirmation and a final dump. In cluster mode backups, restores and deletes
 * are requests the deploy controller executes: 202, and their state shows on the rows.
 */
export function addonRoutes(deps: ApiDeps): FastifyPluginAsyncZod {
  const { db } = deps;
  return async (app) => {
    app.post(
      "/apps/:name/addons",
      {
        schema: {
          tags: ["addons"],
          summary:
            "Add a managed PostgreSQL database; its DATABASE_URL and PG* variables join the app's env. " +
            "With fromDump, one of the app's final dumps is loaded into it (see its restore state)",
          params: appNameParams,
          body: createBody,
          response: { 201: addonView, ...commonErrors, 409: problemView },
        },
      },
      async (request, reply) => {
        const found = await getApp(db, requireUser(request).id, request.params.name);
        const { type, fromDump } = request.body;
        const row = await requireAddons(deps).create(found, type, fromDump);
        return reply.code(201).send(toView(row));
      },
    );

    app.get(
      "/apps/:name/addons",
      {
        schema: {
          tags: ["addons"],
          summary: "An app's add-ons with their status, size and restore state",
          params: appNameParams,
          response: { 200: z.object({ items: z.array(addonView) }), ...commonErrors },
        },
      },
      async (request) => {
        const found = await getApp(db, requireUser(request).id, request.params.name);
        return { items: (await listAddons(db, found.id)).map(toView) };
      },
    );

    app.get(
      "/apps/:name/addons/dumps",
      {
        schema: {
          tags: ["addons"],
          summary: "The final dumps of the app's deleted add-ons, newest first; restore one with fromDump",
          params: appNameParams,
          response: { 200: z.object({ items: z.array(dumpView) }), ...commonErrors, 409: problemView },
        },
      },
      async (request) => {
        const found = await getApp(db, requireUser(request).id, request.params.name);
        return { items: await requireAddons(deps).dumps(found) };
      },
    );

    app.get(
      "/apps/:name/addons/:id/connection",
      {
        schema: {
          tags: ["addons"],
          summary:
            "The add-on's connection with its password, for the app's owner alone (UI reveal, kli8nt psql); " +
            "in cluster mode where its pod runs instead (no password); never cached",
          params: addonParams,
          response: { 200: connectionView, ...commonErrors, 409: problemView },
        },
      },
      async (request, reply) => {
        // getApp is scoped to the signed-in owner: anyone else's request is a 404, as for the app itself.
        const found = await getApp(db, requireUser(request).id, request.params.name);
        const row = await getAppAddon(db, found.id, request.params.id);
        reply.header("cache-control", "no-store");
        if (row.passwordEnc === PASSWORD_IN_CLUSTER) {
          return { cluster: requireAddons(deps).clusterTarget(found, row) };
        }
        const connection = connectionOf(deps, row);
        // The stored connection stands even when the server does not answer this instant.
        const local = deps.addons?.available
          ? await deps.addons.localAddress().catch((err: unknown) => {
              request.log.warn({ err }, "Add-on server's local address unknown");
              return null;
            })
          : null;
        return { ...connection, local };
      },
    );

    app.post(
      "/apps/:name/addons/:id/backups",
      {
        schema: {
          tags: ["addons"],
          summary:
            "Back the add-on's database up now: 201 with pg_dump's file on one machine, 202 with the " +
            "request in cluster mode (the deploy controller takes it)",
          params: addonParams,
          response: { 201: backupView, 202: backupView, ...commonErrors, 409: problemView },
        },
      },
      async (request, reply) => {
        const found = await getApp(db, requireUser(request).id, request.params.name);
        const service = requireAddons(deps);
        const item = await service.backup(found, request.params.id);
        return reply.code(service.inCluster ? 202 : 201).send(item);
      },
    );

    app.get(
      "/apps/:name/addons/:id/backups",
      {
        schema: {
          tags: ["addons"],
          summary: "The add-on's backups, newest first, with their status (one a night by default)",
          params: addonParams,
          response: { 200: z.object({ items: z.array(backupView) }), ...commonErrors, 409: problemView },
        },
      },
      async (request) => {
        const found = await getApp(db, requireUser(request).id, request.params.name);
        return { items: await requireAddons(deps).backups(found, request.params.id) };
      },
    );

    app.post(
      "/apps/:name/addons/:id/backups/:backup/restore",
      {
        schema: {
          tags: ["addons"],
          summary:
            "Replace the add-on's database with a backup (its open sessions are closed): 200 once done on " +
            "one machine; 202 in cluster mode, where the add-on's restore state follows it",
          params: backupParams,
          response: {
            200: z.object({ restored: z.string(), status: z.literal("done") }),
            202: z.object({ restored: z.string(), status: z.literal("requested") }),
            ...commonErrors,
            409: problemView,
          },
        },
      },
      async (request, reply) => {
        const found = await getApp(db, requireUser(request).id, request.params.name);
        const { id, backup } = request.params;
        const status = await requireAddons(deps).restore(found, id, backup);
        return reply.code(status === "done" ? 200 : 202).send({ restored: backup, status });
      },
    );

    app.delete(
      "/apps/:name/addons/:id",
      {
        schema: {
          tags: ["addons"],
          summary:
            'Delete an add-on and its database; needs {"confirm":"<app>"}; a final dump is kept (200). In ' +
            "cluster mode the add-on is marked deleting and removed once its final dump is done (202)",
          params: addonParams,
          body: z.strictObject({ confirm: z.string().max(200).optional() }).nullish(),
          response: { 200: removedView, 202: removedView, ...commonErrors, 409: problemView },
        },
      },
      async (request, reply) => {
        const found = await getApp(db, requireUser(request).id, request.params.name);
        const service = requireAddons(deps);
        const removed = await service.remove(found, request.params.id, request.body?.confirm);
        return reply.code(service.inCluster ? 202 : 200).send(removed);
      },
    );
  };
}
