import type { Db } from "@kli8nt/db";
import { sql } from "drizzle-orm";
import pg from "pg";
import { type Change, type ChangeFeed, type ChangeSink, parseChange } from "./change-feed.ts";

export const EVENTS_CHANNEL = "kli8nt_events";

export interface PgChangeFeedOptions {
  /** The api's KLI8NT_DATABASE_URL: the listening connection is one more session on that server. */
  readonly url: string;
  /** NOTIFY goes out on the api's pool, so a publish never waits for the listener to reconnect. */
  readonly db: Db;
  readonly logger: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
  readonly channel?: string;
  /** Reconnect backoff: doubles from the first to the second. */
  readonly retryDelayMs?: readonly [number, number];
}

/**
 * Changes across api replicas over PostgreSQL `LISTEN/NOTIFY` (ADR 0121). A publish is `pg_notify`;
 * PostgreSQL delivers it to every listening session, this replica's too, and each hub then reads the row
 * itself. The listener is a dedicated `pg.Client` (a pooled one would be handed to someone else). When it
 * drops, it reconnects with backoff and tells the local browsers to resync: NOTIFYs sent meanwhile are gone.
 */
export class PgChangeFeed implements ChangeFeed {
  readonly #options: PgChangeFeedOptions;
  readonly #channel: string;
  #sink: ChangeSink | null = null;
  #client: pg.Client | null = null;
  #pid: number | null = null;
  #timer: NodeJS.Timeout | null = null;
  #attempt = 0;
  #closed = false;

  private constructor(options: PgChangeFeedOptions) {
    this.#options = options;
    this.#channel = options.channel ?? EVENTS_CHANNEL;
  }

  /** Resolves once LISTEN is in place; a database that refuses it at start fails the api's start. */
  static async start(options: PgChangeFeedOptions): Promise<PgChangeFeed> {
    const feed = new PgChangeFeed(options);
    await feed.#listen();
    return feed;
  }

  /** The listening session's backend pid (diagnostics, tests); null while reconnecting. */
  get backendPid(): number | null {
    return this.#pid;
  }

  attach(sink: ChangeSink): void {
    this.#sink = sink;
  }

  publish(change: Change): void {
    const payload = JSON.stringify(change);
    this.#options.db.execute(sql`SELECT pg_notify(${this.#channel}, ${payload})`).catch((err: unknown) => {
      this.#options.logger.warn({ err }, "NOTIFY of a change failed; other replicas catch up on resync");
      // No replica heard it, this one included; its own browsers can still be told.
      this.#sink?.apply(change);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    const client = this.#client;
    this.#client = null;
    this.#pid = null;
    await client?.end().catch(() => undefined);
  }

  async #listen(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.#options.url,
      application_name: "kli8nt-api-events",
    });
    const lost = (err?: Error) => {
      if (this.#client !== client) return; // Already handled ('error' is followed by 'end'), or closing.
      this.#client = null;
      this.#pid = null;
      this.#options.logger.warn({ err }, "Events LISTEN connection lost; reconnecting");
      void client.end().catch(() => undefined);
      this.#retry();
    };
    // Without an 'error' listener a dropped connection would crash the process.
    client.on("error", lost);
    client.on("end", () => lost());
    client.on("notification", (message) => {
      if (message.channel === this.#channel) this.#receive(message.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${client.escapeIdentifier(this.#channel)}`);
      const { rows } = await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
      this.#pid = rows[0]?.pid ?? null;
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.#closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#client = client;
  }

  #retry(): void {
    if (this.#closed || this.#timer) return;
    const [first, max] = this.#options.retryDelayMs ?? [250, 10_000];
    const delay = Math.min(max, first * 2 ** this.#attempt);
    this.#attempt += 1;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#listen().then(
        () => {
          if (this.#closed) return;
          this.#attempt = 0;
          this.#options.logger.info({}, "Events LISTEN connection back; local browsers resync");
          this.#sink?.resync();
        },
        (err: unknown) => {
          this.#options.logger.warn({ err, retryInMs: delay }, "Events LISTEN reconnect failed");
          this.#retry();
        },
      );
    }, delay);
    this.#timer.unref();
  }

  #receive(payload: string | undefined): void {
    const change = parseChange(payload);
    if (!change) {
      // Someone else's NOTIFY on our channel: not ours to act on, and no reason to stop listening.
      this.#options.logger.warn(
        { payload: payload?.slice(0, 200) },
        "Ignored a malformed change notification",
      );
      return;
    }
    this.#sink?.apply(change);
  }
}
