import { randomBytes, randomUUID } from "node:crypto";
import { NotFoundError } from "@kli8nt/core";
import { and, desc, eq, inArray, isNull, lt, lte, ne, sql } from "drizzle-orm";
import type { Db } from "./database.ts";
import { apps, notificationDeliveries, notificationDestinations } from "./schema.ts";
import type { SecretBox } from "./secret-box.ts";

export const NOTIFICATION_EVENTS = [
  "deploy.live",
  "deploy.failed",
  "app.crashed",
  "domain.error",
  "addon.backup_failed",
] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];
/** Sent only by "send test", to the one destination it names. */
export const TEST_EVENT = "notification.test";

export type DestinationKind = "webhook" | "slack" | "email";

export interface DestinationView {
  readonly id: string;
  readonly appId: string | null;
  readonly kind: DestinationKind;
  /** The URL's host or the e-mail address: the full URL may itself be a credential (Slack). */
  readonly target: string;
  readonly events: NotificationEvent[];
  readonly createdAt: Date;
}

export interface NewDestination {
  readonly ownerId: string;
  /** Null: the owner's default, used for apps with no destination of their own. */
  readonly appId: string | null;
  readonly kind: DestinationKind;
  readonly target: string;
  readonly events: readonly NotificationEvent[];
}

type DestinationRow = typeof notificationDestinations.$inferSelect;

const toView = (row: DestinationRow): DestinationView => ({
  id: row.id,
  appId: row.appId,
  kind: row.kind,
  target: row.targetHint,
  events: row.events as NotificationEvent[],
  createdAt: row.createdAt,
});

const targetContext = (id: string) => `notification:${id}:target`;
const secretContext = (id: string) => `notification:${id}:secret`;

function hintOf(kind: DestinationKind, target: string): string {
  if (kind === "email") return target;
  const url = new URL(target);
  return `${url.protocol}//${url.host}`;
}

/** Creates a destination; a webhook gets a signing secret, returned here once and never again. */
export async function createDestination(
  db: Db,
  box: SecretBox,
  input: NewDestination,
): Promise<{ destination: DestinationView; secret: string | null }> {
  const id = `ntf_${randomUUID().replaceAll("-", "")}`;
  const secret = input.kind === "webhook" ? `whsec_${randomBytes(24).toString("base64url")}` : null;
  const [row] = await db
    .insert(notificationDestinations)
    .values({
      id,
      ownerId: input.ownerId,
      appId: input.appId,
      kind: input.kind,
      targetEnc: box.encrypt(input.target, targetContext(id)),
      targetHint: hintOf(input.kind, input.target),
      secretEnc: secret ? box.encrypt(secret, secretContext(id)) : null,
      events: [...new Set(input.events)],
    })
    .returning();
  if (!row) throw new Error("insert into notification_destinations returned no row");
  return { destination: toView(row), secret };
}

const scopeOf = (ownerId: string, appId: string | null) =>
  and(
    eq(notificationDestinations.ownerId, ownerId),
    appId === null ? isNull(notificationDestinations.appId) : eq(notificationDestinations.appId, appId),
  );

export async function listDestinations(
  db: Db,
  ownerId: string,
  appId: string | null,
): Promise<DestinationView[]> {
  const rows = await db
    .select()
    .from(notificationDestinations)
    .where(scopeOf(ownerId, appId))
    .orderBy(notificationDestinations.createdAt);
  return rows.map(toView);
}

/** A destination of this owner and scope; anyone else's is NOTIFICATION_NOT_FOUND. */
export async function getDestination(
  db: Db,
  ownerId: string,
  appId: string | null,
  id: string,
): Promise<DestinationView> {
  const [row] = await db
    .select()
    .from(notificationDestinations)
    .where(and(scopeOf(ownerId, appId), eq(notificationDestinations.id, id)));
  if (!row) throw notFound(id);
  return toView(row);
}

export async function deleteDestination(
  db: Db,
  ownerId: string,
  appId: string | null,
  id: string,
): Promise<void> {
  const gone = await db
    .delete(notificationDestinations)
    .where(and(scopeOf(ownerId, appId), eq(notificationDestinations.id, id)))
    .returning({ id: notificationDestinations.id });
  if (gone.length === 0) throw notFound(id);
}

const notFound = (id: string) =>
  new NotFoundError("NOTIFICATION_NOT_FOUND", `No notification destination with id "${id}"`, {
    details: { id },
  });

export interface NotificationInput {
  readonly appId: string;
  readonly event: NotificationEvent;
  /** Unique per happening (e.g. `deploy.failed:<deployment id>`): recording it again sends nothing more. */
  readonly eventKey: string;
  /** What receivers get; must hold no secret (the caller builds it from names, states and reasons). */
  readonly payload: Record<string, unknown>;
  /** When it happened: destinations created after it are not told (a late sweep finds old events). */
  readonly occurredAt: Date;
}

/**
 * Queues one delivery per destination subscribed to the event: the app's own, or when it has none, its
 * owner's defaults. Idempotent on (destination, eventKey). Returns how many deliveries were new.
 */
export async function enqueueNotification(db: Db, input: NotificationInput): Promise<number> {
  const [app] = await db.select({ ownerId: apps.ownerId }).from(apps).where(eq(apps.id, input.appId));
  if (!app) return 0;
  const own = await db
    .select()
    .from(notificationDestinations)
    .where(eq(notificationDestinations.appId, input.appId));
  const candidates = own.length > 0 ? own : await listDefaultRows(db, app.ownerId);
  const targets = candidates.filter(
    (d) => d.events.includes(input.event) && d.createdAt.getTime() <= input.occurredAt.getTime(),
  );
  return insertDeliveries(db, targets, input.event, input.eventKey, input.payload);
}

function listDefaultRows(db: Db, ownerId: string) {
  return db.select().from(notificationDestinations).where(scopeOf(ownerId, null));
}

/** Queues a test delivery to one destination. */
export async function enqueueTestNotification(
  db: Db,
  destination: DestinationView,
  payload: Record<string, unknown>,
): Promise<string> {
  const id = newDeliveryId();
  await db.insert(notificationDeliveries).values({
    id,
    destinationId: destination.id,
    event: TEST_EVENT,
    eventKey: `${TEST_EVENT}:${id}`,
    payload: { ...payload, deliveryId: id },
    state: "pending",
    nextAttemptAt: new Date(),
  });
  return id;
}

const newDeliveryId = () => `dlv_${randomUUID().replaceAll("-", "")}`;

async function insertDeliveries(
  db: Db,
  targets: readonly DestinationRow[],
  event: string,
  eventKey: string,
  payload: Record<string, unknown>,
): Promise<number> {
  if (targets.length === 0) return 0;
  const now = new Date();
  const inserted = await db
    .insert(notificationDeliveries)
    .values(
      targets.map((d) => {
        const id = newDeliveryId();
        return {
          id,
          destinationId: d.id,
          event,
          eventKey,
          payload: { ...payload, deliveryId: id },
          state: "pending" as const,
          nextAttemptAt: now,
        };
      }),
    )
    .onConflictDoNothing()
    .returning({ id: notificationDeliveries.id });
  return inserted.length;
}

/** A claimed delivery with what sending it needs, decrypted. */
export interface DueDelivery {
  readonly id: string;
  readonly event: string;
  readonly payload: Record<string, unknown>;
  readonly attempts: number;
  readonly kind: DestinationKind;
  readonly target: string;
  readonly secret: string | null;
}

/**
 * Claims up to `limit` due deliveries by pushing their next attempt `leaseMs` ahead (SKIP LOCKED, so
 * several api replicas share the work): a worker that dies mid-send leaves them due again after the lease.
 */
export async function claimDueDeliveries(
  db: Db,
  box: SecretBox,
  now: Date,
  options: { limit: number; leaseMs: number },
): Promise<DueDelivery[]> {
  const claimed = await db.transaction(async (tx) => {
    const due = await tx
      .select({ id: notificationDeliveries.id })
      .from(notificationDeliveries)
      .where(and(eq(notificationDeliveries.state, "pending"), lte(notificationDeliveries.nextAttemptAt, now)))
      .orderBy(notificationDeliveries.nextAttemptAt)
      .limit(options.limit)
      .for("update", { skipLocked: true });
    if (due.length === 0) return [];
    const ids = due.map((d) => d.id);
    await tx
      .update(notificationDeliveries)
      .set({ nextAttemptAt: new Date(now.getTime() + options.leaseMs) })
      .where(inArray(notificationDeliveries.id, ids));
    return tx
      .select({ delivery: notificationDeliveries, destination: notificationDestinations })
      .from(notificationDeliveries)
      .innerJoin(
        notificationDestinations,
        eq(notificationDestinations.id, notificationDeliveries.destinationId),
      )
      .where(inArray(notificationDeliveries.id, ids));
  });
  return claimed.map(({ delivery, destination }) => ({
    id: delivery.id,
    event: delivery.event,
    payload: delivery.payload as Record<string, unknown>,
    attempts: delivery.attempts,
    kind: destination.kind,
    target: box.decrypt(destination.targetEnc, targetContext(destination.id)),
    secret: destination.secretEnc ? box.decrypt(destination.secretEnc, secretContext(destination.id)) : null,
  }));
}

export interface AttemptOutcome {
  readonly ok: boolean;
  /** The receiver's HTTP status (or SMTP reply code); null when no answer came. */
  readonly status: number | null;
  readonly error: string | null;
  /** When to try again after a failure; null: give up (the delivery is failed). */
  readonly retryAt: Date | null;
}

/** Records one attempt: delivered, due again at `retryAt`, or failed for good. */
export async function recordAttempt(db: Db, id: string, outcome: AttemptOutcome, now: Date): Promise<void> {
  const state = outcome.ok ? "delivered" : outcome.retryAt ? "pending" : "failed";
  await db
    .update(notificationDeliveries)
    .set({
      state,
      attempts: sql`${notificationDeliveries.attempts} + 1`,
      lastStatus: outcome.status,
      lastError: outcome.error,
      ...(state === "pending" && outcome.retryAt ? { nextAttemptAt: outcome.retryAt } : {}),
      ...(state === "pending" ? {} : { finishedAt: now }),
    })
    .where(eq(notificationDeliveries.id, id));
}

export interface DeliveryView {
  readonly id: string;
  readonly event: string;
  readonly state: "pending" | "delivered" | "failed";
  readonly attempts: number;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly nextAttemptAt: Date | null;
  readonly createdAt: Date;
  readonly finishedAt: Date | null;
}

/** A destination's deliveries, newest first. */
export async function listDeliveries(db: Db, destinationId: string, limit = 50): Promise<DeliveryView[]> {
  const rows = await db
    .select()
    .from(notificationDeliveries)
    .where(eq(notificationDeliveries.destinationId, destinationId))
    .orderBy(desc(notificationDeliveries.createdAt), desc(notificationDeliveries.id))
    .limit(limit);
  return rows.map((r) => ({
    id: r.id,
    event: r.event,
    state: r.state,
    attempts: r.attempts,
    lastStatus: r.lastStatus,
    lastError: r.lastError,
    nextAttemptAt: r.state === "pending" ? r.nextAttemptAt : null,
    createdAt: r.createdAt,
    finishedAt: r.finishedAt,
  }));
}

/** Deletes deliveries finished (delivered or failed) before `before`; returns how many. */
export async function pruneDeliveries(db: Db, before: Date): Promise<number> {
  const gone = await db
    .delete(notificationDeliveries)
    .where(and(ne(notificationDeliveries.state, "pending"), lt(notificationDeliveries.finishedAt, before)))
    .returning({ id: notificationDeliveries.id });
  return gone.length;
}

/** Pending deliveries, for the platform's /metrics. */
export async function countPendingDeliveries(db: Db): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(notificationDeliveries)
    .where(eq(notificationDeliveries.state, "pending"));
  return row?.n ?? 0;
}
