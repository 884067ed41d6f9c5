import { ConflictError } from "@kli8nt/core";
import { type AddonRow, addonEnv, getApp, getAppAddon, listAddons, PASSWORD_IN_CLUSTER } from "@kli8nt/db";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AddonService } from "../addons/addon-service.ts";
import type { ApiDeps } from "../deps.ts";
import { requireUser } from "../plugins/auth.ts";
import { appNameParams, commonErrors, problemView } from "../schemas.ts";

const addonView = z.object({
  id: z.string(),
  type: z.literal("postgres"),
  status: z.enum(["provisioning", "ready", "error", "deleting"]),
  detail: z.string().nullable().describe("Why it is in error, when it is"),
  sizeBytes: z.number().nullable().describe("pg_database_size at the reconciler's last look"),
  database: z.string(),
  user: z.string(),
  host: z.string().nullable(),
  port: z.number().nullable(),
  env: z.array(z.string()).describe("The variables it puts into the app's environment"),
  createdAt: z.string(),
});

const toView = (row: AddonRow) => ({
  id: row.id,
  type: row.type,
  status: row.status,
  detail: row.detail,
  sizeBytes: row.sizeBytes,
  database: row.database,
  user: row.role,
  host: row.host,
  port: row.port,
  env: ["DATABASE_URL", "PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE"],
  createdAt: row.createdAt.toISOString(),
});

const addonParams = appNameParams.extend({ id: z.string().min(1).max(64) });
const backupParams = addonParams.extend({ backup: z.string().min(1).max(64) });
const backupView = z.object({ id: z.string(), createdAt: z.string(), sizeBytes: z.number() });
const connectionView = z.object({
  host: z.string(),
  port: z.number(),
  user: z.string(),
  password: z.string(),
  database: z.string(),
  url: z.string().describe("DATABASE_URL, as the app gets it"),
  local: z
    .object({ host: z.string(), port: z.number() })
    .nullable()
    .describe("Where the platform's machine itself reaches the server (kli8nt psql), when it runs one"),
});

/** The add-on's variables as one object; 409 while it has no server address yet. */
function connectionOf(deps: ApiDeps, row: AddonRow): Omit<z.infer<typeof connectionView>, "local"> {
  if (row.passwordEnc === PASSWORD_IN_CLUSTER)
    throw new ConflictError(
      "ADDON_PASSWORD_IN_CLUSTER",
      "This add-on runs in the cluster: its password is only in the Secret the app's Deployment reads, in " +
        "the app's namespace (Kli8nt never copies it); read it there with kubectl if you need it",
    );
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

/** `…/apps/:name/addons` (issue 25, ADR 0225): create, list, delete with confirmation and a final dump. */
export function addonRoutes(deps: ApiDeps): FastifyPluginAsyncZod {
  const { db } = deps;
  return async (app) => {
    app.post(
      "/apps/:name/addons",
      {
        schema: {
          tags: ["addons"],
          summary: "Add a managed PostgreSQL database; its DATABASE_URL and PG* variables join the app's env",
          params: appNameParams,
          body: z.strictObject({ type: z.literal("postgres") }),
          response: { 201: addonView, ...commonErrors, 409: problemView },
        },
      },
      async (request, reply) => {
        const found = await getApp(db, requireUser(request).id, request.params.name);
        const row = await requireAddons(deps).create(found, request.body.type);
        return reply.code(201).send(toView(row));
      },
    );

    app.get(
      "/apps/:name/addons",
      {
        schema: {
          tags: ["addons"],
          summary: "An app's add-ons with their status and size",
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
      "/apps/:name/addons/:id/connection",
      {
        schema: {
          tags: ["addons"],
          summary:
            "The add-on's connection with its password, for the app's owner alone (UI reveal, kli8nt psql); never cached",
          params: addonParams,
          response: { 200: connectionView, ...commonErrors, 409: problemView },
        },
      },
      async (request, reply) => {
        // getApp is scoped to the signed-in owner: anyone else's request is a 404, as for the app itself.
        const found = await getApp(db, requireUser(request).id, request.params.name);
        const row = await getAppAddon(db, found.id, request.params.id);
        const connection = connectionOf(deps, row);
        // The stored connection stands even when the server does not answer this instant.
        const local = deps.addons?.available
          ? await deps.addons.localAddress().catch((err: unknown) => {
              request.log.warn({ err }, "Add-on server's local address unknown");
              return null;
            })
          : null;
        reply.header("cache-control", "no-store");
        return { ...connection, local };
      },
    );

    app.post(
      "/apps/:name/addons/:id/backups",
      {
        schema: {
          tags: ["addons"],
          summary: "Back the add-on's database up now (pg_dump into the platform's data directory)",
          params: addonParams,
          response: { 201: backupView, ...commonErrors, 409: problemView },
        },
      },
      async (request, reply) => {
        const found = await getApp(db, requireUser(request).id, request.params.name);
        return reply.code(201).send(await requireAddons(deps).backup(found, request.params.id));
      },
    );

    app.get(
      "/apps/:name/addons/:id/backups",
      {
        schema: {
          tags: ["addons"],
          summary: "The add-on's backups, newest first (one a night by default)",
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
          summary: "Replace the add-on's database with a backup (its open sessions are closed)",
          params: backupParams,
          response: { 200: z.object({ restored: z.string() }), ...commonErrors, 409: problemView },
        },
      },
      async (request) => {
        const found = await getApp(db, requireUser(request).id, request.params.name);
        await requireAddons(deps).restore(found, request.params.id, request.params.backup);
        return { restored: request.params.backup };
      },
    );

    app.delete(
      "/apps/:name/addons/:id",
      {
        schema: {
          tags: ["addons"],
          summary: 'Delete an add-on and its database; needs {"confirm":"<app>"}; a final dump is kept',
          params: addonParams,
          body: z.strictObject({ confirm: z.string().max(200).optional() }).nullish(),
          response: {
            200: z.object({ id: z.string(), dump: z.object({ path: z.string() }) }),
            ...commonErrors,
            409: problemView,
          },
        },
      },
      async (request) => {
        const found = await getApp(db, requireUser(request).id, request.params.name);
        const removed = await requireAddons(deps).remove(found, request.params.id, request.body?.confirm);
        return { id: removed.id, dump: { path: removed.dumpPath } };
      },
    );
  };
}
