import {
  createSignInLink,
  type Db,
  ensureAdminUser,
  loadSecretKey,
  OutboxRelay,
  openDatabase,
  type Publish,
  SecretBox,
} from "@kli8nt/db";
import type { Logger } from "pino";
import { buildApi } from "../app.ts";
import type { ApiConfig } from "../config.ts";

export interface EmbeddedApi {
  readonly url: string;
  readonly signInUrl: string;
  /** Shared with the controllers running in the same process (PGlite allows one opener). */
  readonly db: Db;
  readonly box: SecretBox;
  /** Publish committed outbox rows now (controllers call it after their transitions). */
  readonly kickOutbox: () => void;
  close(): Promise<void>;
}

const SIGN_IN_LINK_TTL_MS = 60 * 60 * 1000;

/**
 * startApi for the all-in-one process: the same api, but the database, secret box and outbox relay are
 * handed back so the controllers share them. The caller owns signals.
 */
export async function startEmbeddedApi(
  config: ApiConfig,
  logger: Logger,
  publish: Publish,
): Promise<EmbeddedApi> {
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  logger.info({ database: database.kind }, "Opened database");
  const box = new SecretBox(loadSecretKey(config.secretKey, config.dataDir));
  const relay = new OutboxRelay(database.db, publish, {
    onError: (err) => logger.warn({ err }, "Outbox relay failed; will retry"),
  });
  const kickOutbox = () => relay.kick();
  const app = await buildApi(
    { config, db: database.db, box, onOutboxWrite: kickOutbox },
    { logger: logger.child({ component: "http" }) },
  );
  relay.start();
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
  const base = config.publicUrl.replace(/:\d+$/, "") === `http://${config.host}` ? url : config.publicUrl;
  const admin = await ensureAdminUser(database.db);
  const signInUrl = `${base}/auth/link/${await createSignInLink(database.db, admin.id, SIGN_IN_LINK_TTL_MS)}`;
  return {
    url,
    signInUrl,
    db: database.db,
    box,
    kickOutbox,
    async close() {
      await app.close();
      await relay.stop();
      await database.close();
    },
  };
}
