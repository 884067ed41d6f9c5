import { randomBytes } from "node:crypto";
import type { User } from "@kli8nt/core";
import {
  countUnpublished,
  createApiToken,
  createUser,
  type Database,
  type Db,
  IN_MEMORY,
  openDatabase,
  SecretBox,
} from "@kli8nt/db";
import type { LogStore } from "@kli8nt/logstore";
import type { FastifyInstance } from "fastify";
import { expect } from "vitest";
import type { AddonService } from "../addons/addon-service.ts";
import { type BuildOptions, buildApi } from "../app.ts";
import { loadConfig } from "../config.ts";
import { EventHub } from "../events/event-hub.ts";

export const ADMIN_TOKEN = "test-admin-token-0123456789abcdef0123";

export interface Harness {
  readonly app: FastifyInstance;
  readonly database: Database;
  readonly alice: { user: User; token: string };
  readonly bob: { user: User; token: string };
  /** The hub the api pushes events through; an INFORM consumer under test gets it too. */
  readonly events: EventHub;
  /** Errors the hub reported (a test expects none). */
  readonly eventErrors: unknown[];
  /** The api's secret box (a suite decrypting what the api stored uses it). */
  readonly box: SecretBox;
  /** Outbox rows not yet published: tells whether a request wrote a message. */
  unpublished(): Promise<number>;
  close(): Promise<void>;
}

/**
 * The real api on a real database, with two users. Nothing is mocked. In-memory PGlite unless the suite
 * gives one (e.g. a PostgreSQL database from openTestDatabase), which close() then closes.
 */
export async function startHarness(
  env: Record<string, string> = {},
  options: BuildOptions & {
    logs?: LogStore;
    database?: Database;
    /** Managed add-ons (ADR 0225), made on the harness's database and box. */
    addons?: (db: Db, box: SecretBox) => AddonService;
  } = {},
): Promise<Harness> {
  const database = options.database ?? (await openDatabase({ dataDir: IN_MEMORY }));
  const config = loadConfig({
    KLI8NT_ADMIN_TOKEN: ADMIN_TOKEN,
    KLI8NT_DATA_DIR: "/tmp/kli8nt-test-unused",
    // Suites send thousands of requests a minute with one token; the limit has its own test.
    KLI8NT_RATE_LIMIT_PER_MINUTE: "1000000",
    ...env,
  });
  const eventErrors: unknown[] = [];
  const events = new EventHub({
    db: database.db,
    appUrlTemplate: config.appUrlTemplate,
    onError: (err) => eventErrors.push(err),
  });
  const box = new SecretBox(randomBytes(32));
  const addons = options.addons?.(database.db, box);
  const app = await buildApi(
    {
      config,
      events,
      db: database.db,
      box,
      onOutboxWrite: () => undefined,
      ...(options.logs ? { logs: options.logs } : {}),
      ...(addons ? { addons } : {}),
    },
    {
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.serverFactory ? { serverFactory: options.serverFactory } : {}),
    },
  );
  const make = async (login: string) => {
    const user = await createUser(database.db, { login });
    const { token } = await createApiToken(database.db, user.id, "test");
    return { user, token };
  };
  const alice = await make("alice");
  const bob = await make("bob");
  return {
    app,
    database,
    alice,
    bob,
    events,
    eventErrors,
    box,
    unpublished: () => countUnpublished(database.db),
    async close() {
      await addons?.stop();
      await app.close();
      await database.close();
    },
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export const sampleApp = (name: string) => ({
  name,
  repository: { url: `https://github.com/acme/${name}`, branch: "main" },
});

/** Creates an app through the api as `token`'s user; returns its id. */
export async function createAppVia(app: FastifyInstance, token: string, name: string): Promise<string> {
  const res = await app.inject({
    method: "POST",
    url: "/api/apps",
    headers: bearer(token),
    payload: sampleApp(name),
  });
  expect(res.statusCode).toBe(201);
  return res.json<{ id: string }>().id;
}

/** Asks the api for a deployment of `name`; returns the deployment's id. */
export async function deployVia(app: FastifyInstance, token: string, name: string): Promise<string> {
  const res = await app.inject({
    method: "POST",
    url: `/api/apps/${name}/deployments`,
    headers: bearer(token),
    payload: {},
  });
  expect(res.statusCode).toBe(202);
  return res.json<{ id: string }>().id;
}
