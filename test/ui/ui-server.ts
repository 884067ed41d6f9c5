import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildApi, EventHub, loadConfig, startInformConsumer } from "@kli8nt/api";
import { createBus } from "@kli8nt/bus";
import type { DeploymentProgress, DeploymentState } from "@kli8nt/core";
import {
  createApiToken,
  createSignInLink,
  type Db,
  ensureAdminUser,
  IN_MEMORY,
  openDatabase,
  SecretBox,
  type TransitionPatch,
  transitionDeployment,
} from "@kli8nt/db";
import { createFileLogStore, type LogStore } from "@kli8nt/logstore";
import { freePort } from "@kli8nt/testkit";
import pino from "pino";
import type { AddonService } from "../../apps/api/src/addons/addon-service.ts";

export const ROOT = path.resolve(import.meta.dirname, "../..");

export interface UiServerOptions {
  /** A port chosen beforehand, when the public URL must be known before listening (OAuth callbacks). */
  readonly port?: number;
  /** More KLI8NT_* settings, e.g. a GitHub OAuth app on the fake GitHub. */
  readonly env?: Readonly<Record<string, string>>;
  /** Managed PostgreSQL add-ons on a real server (the Add-ons tab); started and stopped with the api. */
  readonly addons?: (db: Db, box: SecretBox) => AddonService;
}

export interface UiServer {
  /** Where the api (and the UI it serves) listens, e.g. http://127.0.0.1:41234. */
  readonly url: string;
  readonly logs: LogStore;
  /** The api's database, for suites that seed what no UI action makes (metric points). */
  readonly db: Db;
  /** The api's event hub, for what runs beside the api in `kli8nt start` (the router's metrics). */
  readonly events: EventHub;
  /** A fresh one-time sign-in link for the local administrator, as `npm start` prints. */
  signInUrl(): Promise<string>;
  /** An API token of the same administrator, for clients that are not the browser. */
  apiToken(): Promise<string>;
  /**
   * Moves a deployment through states as the controllers do on one machine (they do not run here): the row
   * moves in the database, then a DeploymentProgress goes on INFORM, which the real consumer pushes to the
   * browsers.
   */
  advance(deploymentId: string, states: readonly DeploymentState[], patch?: TransitionPatch): Promise<void>;
  /** Cuts every events WebSocket, as a network drop or an api restart would. */
  dropEventSockets(): void;
  close(): Promise<void>;
}

const LOCK = path.join(
  tmpdir(),
  `kli8nt-web-build-${createHash("sha256").update(ROOT).digest("hex").slice(0, 12)}.lock`,
);

/**
 * Builds apps/web into apps/web/dist (what the api serves) when it is missing or stale, and says how long
 * it took. Suites run in parallel: a lock keeps one build at a time, and the next finds dist fresh, so no
 * suite ever serves a dist that another is emptying.
 */
export async function buildWeb(): Promise<number> {
  const started = performance.now();
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // Held by another suite; a lock older than 5 minutes was left by a killed run.
      const age = Date.now() - (statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 300_000) rmSync(LOCK, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    execFileSync("node", ["apps/web/scripts/build-if-stale.mjs"], { cwd: ROOT, stdio: "pipe" });
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
  return performance.now() - started;
}

/**
 * The real api in this process (PGlite in memory, file log store in a temp dir), listening on a free port
 * and serving the built UI. The same composition as `kli8nt start`, minus the controllers: deploys stay
 * queued, which is what the UI tests need to see.
 */
export async function startUiServer(options: UiServerOptions = {}): Promise<UiServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "kli8nt-ui-"));
  const database = await openDatabase({ dataDir: IN_MEMORY });
  const logs = createFileLogStore({ dataDir: path.join(dataDir, "logs"), fsyncIntervalMs: 1000 });
  // A known port, so the public URL (and the Origin the api accepts from the browser) is the real one.
  const port = options.port ?? (await freePort());
  const config = loadConfig({
    KLI8NT_HOST: "127.0.0.1",
    KLI8NT_PORT: String(port),
    KLI8NT_DATA_DIR: dataDir,
    ...options.env,
  });
  const logger = pino({ level: "silent" });
  const events = new EventHub({
    db: database.db,
    appUrlTemplate: config.appUrlTemplate,
    onError: (err) => process.stderr.write(`[ui-server] event delivery failed: ${String(err)}\n`),
  });
  const bus = await createBus({ kind: "memory" });
  const box = new SecretBox(randomBytes(32));
  const addons = options.addons?.(database.db, box);
  const inform = await startInformConsumer({ db: database.db, bus, logger, events });
  const app = await buildApi({
    config,
    db: database.db,
    box,
    onOutboxWrite: () => undefined,
    logs,
    events,
    ...(addons ? { addons } : {}),
  });
  addons?.start();
  await app.listen({ host: "127.0.0.1", port });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  const admin = await ensureAdminUser(database.db);
  return {
    url,
    logs,
    db: database.db,
    events,
    signInUrl: async () => `${url}/auth/link/${await createSignInLink(database.db, admin.id, 3_600_000)}`,
    apiToken: async () => (await createApiToken(database.db, admin.id, "ui-test")).token,
    async advance(deploymentId, states, patch = {}) {
      for (const state of states) {
        const moved = await transitionDeployment(database.db, deploymentId, `ui-test:${state}`, state, patch);
        if (moved)
          await bus.publish("INFORM", {
            id: `${deploymentId}:${state}`,
            type: "DeploymentProgress.v1",
            body: progress(moved, state),
          });
      }
    },
    dropEventSockets() {
      for (const client of app.websocketServer.clients) client.terminate();
    },
    async close() {
      await addons?.stop();
      await inform.cancel();
      await bus.close();
      await app.close();
      await logs.close();
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The INFORM message a controller publishes with its transition (commit and image stay on the row). */
function progress(
  d: { id: string; appId: string; reason: string | null; url: string | null },
  state: DeploymentState,
): DeploymentProgress {
  return {
    type: "DeploymentProgress",
    version: 1,
    deploymentId: d.id,
    appId: d.appId,
    step: state === "building" || state === "built" ? "build" : "deploy",
    state,
    reason: d.reason,
    url: d.url,
    image: null,
    commitSha: null,
    at: new Date().toISOString(),
  };
}
