import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { type Database, type Db, IN_MEMORY, openDatabase, openTestDatabase, SecretBox } from "@kli8nt/db";
import type { LogStore } from "@kli8nt/logstore";
import { type FakeGitHub, freePort, signInOverHttp, startFakeGitHub } from "@kli8nt/testkit";

export { cookieFrom } from "@kli8nt/testkit";

import type { FastifyInstance } from "fastify";
import { vi } from "vitest";
import type { AddonService } from "../addons/addon-service.ts";
import { buildApi } from "../app.ts";
import { loadConfig } from "../config.ts";
import type { ApiDeps } from "../deps.ts";
import { createLogger } from "../logger.ts";

export const WEBHOOK_SECRET = "whsec-test-0123456789abcdef";
export const CLIENT_ID = "Ov23liKli8ntTest";
const CLIENT_SECRET = "client-secret-0123456789abcdef0123456789";

/** The real api listening on a real port, pointed at a fake GitHub like at GitHub Enterprise. */
export interface GitHubTestEnv {
  readonly gh: FakeGitHub;
  readonly api: FastifyInstance;
  /** http://127.0.0.1:<port> of the api (also its public URL, so GitHub's webhooks reach it). */
  readonly url: string;
  readonly database: Database;
  readonly deps: ApiDeps;
  /** Every log line the api wrote. */
  readonly logs: string[];
  /** Signs in through the whole OAuth web flow over HTTP; returns the session cookie. */
  signIn(login: string): Promise<{ session: string; userId: string }>;
  close(): Promise<void>;
}

/** Waits for work the api does after answering (webhooks, statuses); generous for a loaded CI machine. */
export function eventually<T>(check: () => T | Promise<T>): Promise<T> {
  return vi.waitFor(check, { timeout: 15_000, interval: 50 });
}

export async function startGitHubTestEnv(
  opts: {
    expiringTokens?: boolean;
    env?: Record<string, string>;
    /** A fresh database on KLI8NT_TEST_DATABASE_URL's PostgreSQL instead of in-memory PGlite. */
    postgres?: boolean;
    /** The add-on service the api gets (previews' databases, ADR 0201). */
    addons?: (db: Db, box: SecretBox) => AddonService;
    /** A log store, and the closed previews' retention pass's period and clock (ADR 0203). */
    logs?: LogStore;
    previewLogRetention?: ApiDeps["previewLogRetention"];
  } = {},
): Promise<GitHubTestEnv> {
  const gh = await startFakeGitHub();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  gh.addOAuthApp({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    callbackUrl: `${url}/auth/github/callback`,
    expiringTokens: opts.expiringTokens ?? false,
  });
  const config = loadConfig({
    KLI8NT_DATA_DIR: "/tmp/kli8nt-test-unused",
    KLI8NT_PORT: String(port),
    KLI8NT_PUBLIC_URL: url,
    KLI8NT_APP_URL_TEMPLATE: "http://{app}.apps.test",
    KLI8NT_GITHUB_URL: gh.url,
    KLI8NT_GITHUB_API_URL: gh.apiUrl,
    KLI8NT_GITHUB_CLIENT_ID: CLIENT_ID,
    KLI8NT_GITHUB_CLIENT_SECRET: CLIENT_SECRET,
    KLI8NT_GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET,
    ...opts.env,
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString("utf8"));
      done();
    },
  });
  const database = opts.postgres
    ? await openTestDatabase("postgres")
    : await openDatabase({ dataDir: IN_MEMORY });
  const box = new SecretBox(randomBytes(32));
  const addons = opts.addons?.(database.db, box);
  const deps: ApiDeps = {
    config,
    db: database.db,
    box,
    onOutboxWrite: () => undefined,
    ...(addons ? { addons } : {}),
    ...(opts.logs ? { logs: opts.logs } : {}),
    ...(opts.previewLogRetention ? { previewLogRetention: opts.previewLogRetention } : {}),
  };
  const api = await buildApi(deps, { logger: createLogger("debug", sink) });
  await api.listen({ host: "127.0.0.1", port });
  return {
    gh,
    api,
    url,
    database,
    deps,
    logs,
    signIn: (login) => signInOverHttp(url, gh, login),
    async close() {
      await addons?.stop();
      await api.close();
      await database.close();
      await gh.stop();
    },
  };
}
