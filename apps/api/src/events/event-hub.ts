import { type Db, findAppById, hashToken, listDeployments, schema, toApp, toDeployment } from "@kli8nt/db";
import { eq } from "drizzle-orm";
import type { z } from "zod";
import type { appView, deploymentView } from "../schemas.ts";
import { toAppView, toDeploymentView } from "../views.ts";
import { type Change, type ChangeFeed, InProcessChangeFeed } from "./change-feed.ts";

/** What a browser receives on `/api/events`: the current state of what changed, never a diff. */
export type PlatformEvent =
  | { readonly type: "deployment"; readonly app: string; readonly deployment: z.infer<typeof deploymentView> }
  | { readonly type: "app"; readonly app: z.infer<typeof appView> }
  | { readonly type: "app-deleted"; readonly app: string }
  /** New metric points of this app were stored (ADR 0217): a hint to fetch them, carrying no figures. */
  | { readonly type: "metrics-updated"; readonly app: string }
  /** The browser session this socket was opened with ended (sign-out): the route closes the socket. */
  | { readonly type: "signed-out" }
  /** Changes may have been missed (ADR 0121): the same message as the first, so the browser fetches again. */
  | { readonly type: "ready" };

export type EventListener = (event: PlatformEvent) => void;

export interface EventHubOptions {
  readonly db: Db;
  readonly appUrlTemplate: string;
  /** A row that could not be read: logged, and the browser catches up on its next resync. */
  readonly onError: (err: unknown) => void;
  /** How changes reach every api replica's hub (ADR 0121); in-process when absent. */
  readonly feed?: ChangeFeed;
}

/**
 * Fans state changes out to the owner's connected browsers (ADR 0096). Writers only say *what* changed
 * (`deploymentChanged(id)`); the hub reads the row as it is now and sends that to the owner alone, so an
 * event can never carry a stale or someone else's state. Notifications for one key coalesce: while a read
 * is in flight, another request only marks it to run once more, so the last event sent is the newest row.
 * Writers' calls go through the change feed, so every replica's hub does this for its own browsers.
 */
export class EventHub {
  /** userId → listener → the hash of the session it was opened with (none for API tokens). */
  readonly #listeners = new Map<string, Map<EventListener, string | null>>();
  readonly #inFlight = new Map<string, { again: boolean; done: Promise<void> }>();
  readonly #options: EventHubOptions;
  readonly #feed: ChangeFeed;

  constructor(options: EventHubOptions) {
    this.#options = options;
    this.#feed = options.feed ?? new InProcessChangeFeed();
    this.#feed.attach({ apply: (change) => this.#apply(change), resync: () => this.#resync() });
  }

  /** Delivers the events of `userId`'s apps to `listener` until the returned function is called. */
  subscribe(userId: string, listener: EventListener, session: string | null = null): () => void {
    let set = this.#listeners.get(userId);
    if (!set) {
      set = new Map();
      this.#listeners.set(userId, set);
    }
    set.set(listener, session === null ? null : hashToken(session));
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.#listeners.get(userId) === set) this.#listeners.delete(userId);
    };
  }

  /** Connected listeners, all users together. */
  get listenerCount(): number {
    let n = 0;
    for (const set of this.#listeners.values()) n += set.size;
    return n;
  }

  deploymentChanged(deploymentId: string): void {
    this.#feed.publish({ kind: "deployment", id: deploymentId });
  }

  appChanged(appId: string): void {
    this.#feed.publish({ kind: "app", id: appId });
  }

  /** The router or the stats loop stored points of the app (ADR 0217); a few per app and minute at most. */
  metricsChanged(appId: string): void {
    this.#feed.publish({ kind: "metrics", id: appId });
  }

  /** The row is gone, so the caller says whose it was. */
  appDeleted(ownerId: string, name: string): void {
    this.#feed.publish({ kind: "app-deleted", ownerId, name });
  }

  /** Signing out ends the sockets of that session at once, not at their next heartbeat. */
  sessionEnded(session: string): void {
    this.#feed.publish({ kind: "session-ended", sessionHash: hashToken(session) });
  }

  /** Resolves once every read started so far has been sent (tests; shutdown). */
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight.values()].map((f) => f.done));
  }

  /** A change announced by any replica, this one included: what the hub always did locally. */
  #apply(change: Change): void {
    if (change.kind === "deployment")
      this.#refresh(`deployment:${change.id}`, () => this.#readDeployment(change.id));
    else if (change.kind === "app") this.#refresh(`app:${change.id}`, () => this.#readApp(change.id));
    else if (change.kind === "metrics")
      this.#refresh(`metrics:${change.id}`, () => this.#readMetricsOwner(change.id));
    else if (change.kind === "app-deleted")
      this.#emit(change.ownerId, { type: "app-deleted", app: change.name });
    else this.#signOut(change.sessionHash);
  }

  #signOut(sessionHash: string): void {
    for (const set of this.#listeners.values())
      for (const [listener, opened] of set)
        if (opened === sessionHash) this.#call(listener, { type: "signed-out" });
  }

  /** Every local listener, all users: what they were sent may be stale, so they fetch it again. */
  #resync(): void {
    for (const set of [...this.#listeners.values()])
      for (const listener of [...set.keys()]) this.#call(listener, { type: "ready" });
  }

  #refresh(key: string, read: () => Promise<{ ownerId: string; event: PlatformEvent } | null>): void {
    // Nobody is listening: nothing to read (a browser that connects later resyncs over REST).
    if (this.#listeners.size === 0) return;
    const running = this.#inFlight.get(key);
    if (running) {
      running.again = true;
      return;
    }
    const entry = { again: true, done: Promise.resolve() };
    entry.done = (async () => {
      while (entry.again) {
        entry.again = false;
        try {
          const found = await read();
          if (found) this.#emit(found.ownerId, found.event);
        } catch (err) {
          this.#options.onError(err);
        }
      }
      this.#inFlight.delete(key);
    })();
    this.#inFlight.set(key, entry);
  }

  #emit(ownerId: string, event: PlatformEvent): void {
    for (const listener of [...(this.#listeners.get(ownerId)?.keys() ?? [])]) this.#call(listener, event);
  }

  #call(listener: EventListener, event: PlatformEvent): void {
    try {
      listener(event);
    } catch (err) {
      this.#options.onError(err);
    }
  }

  async #readDeployment(id: string): Promise<{ ownerId: string; event: PlatformEvent } | null> {
    const [row] = await this.#options.db
      .select({ deployment: schema.deployments, app: schema.apps })
      .from(schema.deployments)
      .innerJoin(schema.apps, eq(schema.apps.id, schema.deployments.appId))
      .where(eq(schema.deployments.id, id));
    if (!row) return null;
    const event: PlatformEvent = {
      type: "deployment",
      app: row.app.name,
      deployment: toDeploymentView(toDeployment(row.deployment)),
    };
    return { ownerId: toApp(row.app).ownerId, event };
  }

  async #readMetricsOwner(appId: string): Promise<{ ownerId: string; event: PlatformEvent } | null> {
    const app = await findAppById(this.#options.db, appId);
    return app ? { ownerId: app.ownerId, event: { type: "metrics-updated", app: app.name } } : null;
  }

  async #readApp(appId: string): Promise<{ ownerId: string; event: PlatformEvent } | null> {
    const app = await findAppById(this.#options.db, appId);
    if (!app) return null;
    const latest = await listDeployments(this.#options.db, app.id, { limit: 1 });
    const view = toAppView(app, latest.items[0] ?? null, this.#options.appUrlTemplate);
    return { ownerId: app.ownerId, event: { type: "app", app: view } };
  }
}
