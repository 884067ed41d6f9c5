import { TerminalError } from "@kli8nt/core";
import {
  createDestination,
  type DestinationView,
  deleteDestination,
  enqueueTestNotification,
  getApp,
  getDestination,
  listDeliveries,
  listDestinations,
  NOTIFICATION_EVENTS,
} from "@kli8nt/db";
import type { FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ApiDeps } from "../deps.ts";
import { namesPrivateHost, PRIVATE_DESTINATION } from "../notifications/destination-guard.ts";
import { requireUser } from "../plugins/auth.ts";
import { appNameParams, commonErrors } from "../schemas.ts";

const events = z
  .array(z.enum(NOTIFICATION_EVENTS))
  .min(1)
  .max(NOTIFICATION_EVENTS.length)
  .optional()
  .describe("Events to send; default: all");

const httpUrl = z
  .url({ protocol: /^https?$/, message: "url must be an http(s) URL" })
  .max(2048)
  .describe("Where to POST");

export const destinationBody = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("webhook"), url: httpUrl, events }),
  z.strictObject({ type: z.literal("slack"), url: httpUrl, events }),
  z.strictObject({ type: z.literal("email"), to: z.email().max(320), events }),
]);

const destinationView = z.object({
  id: z.string(),
  type: z.enum(["webhook", "slack", "email"]),
  target: z.string().describe("The URL's origin or the address; a full URL is never shown again"),
  events: z.array(z.string()),
  createdAt: z.string(),
  secret: z
    .string()
    .optional()
    .describe("Webhooks only, shown once: verify X-Kli8nt-Signature-256 (HMAC-SHA256 of the body) with it"),
});

const deliveryView = z.object({
  id: z.string(),
  event: z.string(),
  state: z.enum(["pending", "delivered", "failed"]),
  attempts: z.number(),
  lastStatus: z.number().nullable(),
  lastError: z.string().nullable(),
  nextAttemptAt: z.string().nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});

const idParams = z.strictObject({ id: z.string().regex(/^ntf_[0-9a-f]{32}$/, "not a notification id") });
const appIdParams = appNameParams.extend(idParams.shape);

const toView = (d: DestinationView, secret?: string | null) => ({
  id: d.id,
  type: d.kind,
  target: d.target,
  events: d.events,
  createdAt: d.createdAt.toISOString(),
  ...(secret ? { secret } : {}),
});

const iso = (d: Date | null) => d?.toISOString() ?? null;

type Scope = { ownerId: string; appId: string | null; name: string | undefined };
type ScopeOf = (request: FastifyRequest) => Promise<Scope>;
type Api = Parameters<FastifyPluginAsyncZod>[0];
const tags = ["notifications"];

/**
 * Notification destinations (ADR 0186): per app under /apps/:name/notifications, and the caller's
 * defaults (for apps with none of their own) under /notifications.
 */
export function notificationRoutes(deps: ApiDeps): FastifyPluginAsyncZod {
  const { db } = deps;
  /** The owner and scope of a request: an app of the caller, or the caller's defaults. */
  const scopeOf: ScopeOf = async (request) => {
    const user = requireUser(request);
    const name = (request.params as { name?: string }).name;
    return { ownerId: user.id, appId: name ? (await getApp(db, user.id, name)).id : null, name };
  };
  return async (app) => {
    collectionRoutes(app, deps, scopeOf, "/apps/:name/notifications", { params: appNameParams });
    collectionRoutes(app, deps, scopeOf, "/notifications", {});
    itemRoutes(app, deps, scopeOf, "/apps/:name/notifications", appIdParams);
    itemRoutes(app, deps, scopeOf, "/notifications", idParams);
  };
}

function collectionRoutes(
  app: Api,
  deps: ApiDeps,
  scopeOf: ScopeOf,
  base: string,
  params: { params?: typeof appNameParams },
): void {
  const { db, box } = deps;
  app.post(
    base,
    {
      schema: {
        tags,
        summary: "Add a destination (webhook, Slack-compatible webhook or e-mail)",
        ...params,
        body: destinationBody,
        response: { 201: destinationView, ...commonErrors },
      },
    },
    async (request, reply) => {
      const scope = await scopeOf(request);
      const body = request.body;
      // Names are checked again on every send, on the address they resolve to then (ADR 0233).
      if (
        body.type !== "email" &&
        !deps.config.notifications.allowPrivateNetworks &&
        namesPrivateHost(new URL(body.url))
      ) {
        throw new TerminalError("NOTIFY_DESTINATION_PRIVATE", PRIVATE_DESTINATION);
      }
      const created = await createDestination(db, box, {
        ownerId: scope.ownerId,
        appId: scope.appId,
        kind: body.type,
        target: body.type === "email" ? body.to : body.url,
        events: body.events ?? NOTIFICATION_EVENTS,
      });
      request.log.info(
        { notificationId: created.destination.id, type: body.type },
        "Created notification destination",
      );
      return reply.code(201).send(toView(created.destination, created.secret));
    },
  );

  app.get(
    base,
    {
      schema: {
        tags,
        summary: "List destinations",
        ...params,
        response: { 200: z.object({ items: z.array(destinationView) }), ...commonErrors },
      },
    },
    async (request) => {
      const scope = await scopeOf(request);
      return { items: (await listDestinations(db, scope.ownerId, scope.appId)).map((d) => toView(d)) };
    },
  );
}

function itemRoutes(
  app: Api,
  deps: ApiDeps,
  scopeOf: ScopeOf,
  base: string,
  params: typeof idParams | typeof appIdParams,
): void {
  const { db } = deps;
  app.delete(
    `${base}/:id`,
    {
      schema: {
        tags,
        summary: "Remove a destination (its deliveries go with it)",
        params,
        response: { 204: z.null(), ...commonErrors },
      },
    },
    async (request, reply) => {
      const scope = await scopeOf(request);
      await deleteDestination(db, scope.ownerId, scope.appId, request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    `${base}/:id/test`,
    {
      schema: {
        tags,
        summary: "Send a test notification now",
        params,
        response: { 202: z.object({ deliveryId: z.string() }), ...commonErrors },
      },
    },
    async (request, reply) => {
      const scope = await scopeOf(request);
      const destination = await getDestination(db, scope.ownerId, scope.appId, request.params.id);
      const deliveryId = await enqueueTestNotification(db, destination, {
        event: "notification.test",
        occurredAt: new Date().toISOString(),
        app: scope.name ? { name: scope.name } : null,
      });
      deps.notifications?.kick();
      return reply.code(202).send({ deliveryId });
    },
  );

  app.get(
    `${base}/:id/deliveries`,
    {
      schema: {
        tags,
        summary: "The destination's last 50 deliveries, newest first, with the receiver's answers",
        params,
        response: { 200: z.object({ items: z.array(deliveryView) }), ...commonErrors },
      },
    },
    async (request) => {
      const scope = await scopeOf(request);
      const destination = await getDestination(db, scope.ownerId, scope.appId, request.params.id);
      const items = await listDeliveries(db, destination.id);
      return {
        items: items.map((d) => ({
          ...d,
          nextAttemptAt: iso(d.nextAttemptAt),
          createdAt: d.createdAt.toISOString(),
          finishedAt: iso(d.finishedAt),
        })),
      };
    },
  );
}
