import { processTypes } from "@kli8nt/buildplan";
import type { BuildRequested, Deployment, DeployRequested } from "@kli8nt/core";
import { type Db, enqueueMessage, type Tx } from "@kli8nt/db";
import type { BuildLogSink } from "./build-log-sink.ts";
import type { Builder } from "./builder.ts";
import {
  appBuildSettings,
  appPort,
  loadDeployment,
  moveDeployment,
  newerDeployment,
} from "./deployment-rows.ts";
import { isBuildError } from "./errors.ts";
import { prepareBuild } from "./prepare-build.ts";
import { progressMessage } from "./progress.ts";
import { type CloneCredentials, checkoutRepository } from "./workspace.ts";

export interface BuildSettings {
  /** Where workspaces are created (and always removed). */
  readonly workRoot: string;
  readonly allowLocalRepos: boolean;
  readonly buildTimeoutMs: number;
  readonly cloneTimeoutMs: number;
  readonly baseImages: Readonly<Record<string, string>>;
  /** Port when neither the app nor the plan names one. */
  readonly defaultPort: number;
}

export interface HandlerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface BuildDeps {
  readonly db: Db;
  readonly builder: Builder;
  readonly sink: BuildLogSink;
  readonly settings: BuildSettings;
  readonly logger: HandlerLogger;
  readonly credentials?: CloneCredentials | undefined;
  /** The app's variables marked for the build, decrypted (ADR 0157); none when absent. */
  readonly buildVars?: BuildVars | undefined;
  /** Called after a commit that wrote outbox rows, so the relay publishes them at once. */
  readonly onOutboxWrite: () => void;
}

/** Decrypted variables of an app that the build gets. */
export type BuildVars = (
  appId: string,
) => Promise<ReadonlyArray<{ readonly key: string; readonly value: string; readonly secret: boolean }>>;

function splitBuildVars(vars: Awaited<ReturnType<BuildVars>>) {
  const pick = (secret: boolean) =>
    Object.fromEntries(vars.filter((v) => v.secret === secret).map((v) => [v.key, v.value]));
  return { buildArgs: pick(false), buildSecrets: pick(true) };
}

const inform = (step: "build") => async (tx: Tx, d: Parameters<typeof progressMessage>[0]) => {
  await enqueueMessage(tx, "INFORM", progressMessage(d, step));
};

/**
 * Handles BuildRequested: queued → building → built (+ DEPLOY with the image id) or failed with the reason.
 * Idempotent: a redelivery of a finished build changes nothing; one of an interrupted build builds again
 * (buildah's layer cache makes that cheap) and records `built` once.
 */
export function buildHandler(deps: BuildDeps): (message: BuildRequested) => Promise<void> {
  const running = new Map<string, Promise<void>>();
  return async (message) => {
    const current = running.get(message.deploymentId);
    if (current) return current;
    const work = handle(deps, message).finally(() => running.delete(message.deploymentId));
    running.set(message.deploymentId, work);
    return work;
  };
}

async function handle(deps: BuildDeps, message: BuildRequested): Promise<void> {
  const { db, logger } = deps;
  const log = { deploymentId: message.deploymentId, app: message.appName };
  const row = await claimBuild(deps, message);
  if (!row) return;
  logger.info({ ...log, builder: deps.builder.kind }, "Started build");
  const started = Date.now();
  try {
    const result = await build(deps, message);
    await moveDeployment(
      db,
      row.id,
      "build:built",
      "built",
      { image: result.image, commitSha: result.commitSha },
      async (tx, d) => {
        await inform("build")(tx, d);
        const deploy: DeployRequested = {
          type: "DeployRequested",
          version: 1,
          deploymentId: d.id,
          appId: d.appId,
          appName: message.appName,
          image: result.image,
          port: result.port,
          processes: result.processes,
          ...(result.releaseCommand ? { releaseCommand: result.releaseCommand } : {}),
          requestedAt: new Date().toISOString(),
        };
        await enqueueMessage(tx, "DEPLOY", deploy);
      },
    );
    logger.info({ ...log, image: result.image, ms: Date.now() - started }, "Built image");
  } catch (error) {
    if (!isBuildError(error)) throw error;
    deps.sink.write({
      appId: message.appId,
      deploymentId: message.deploymentId,
      stream: "stderr",
      line: error.message,
    });
    await moveDeployment(db, row.id, "build:failed", "failed", { reason: error.message }, inform("build"));
    logger.warn({ ...log, code: error.code, reason: error.message }, "Build failed");
  } finally {
    await deps.sink.flush();
    deps.onOutboxWrite();
  }
}

/** The deployment to build, now `building`; null when there is nothing to do (done, cancelled, superseded). */
async function claimBuild(deps: BuildDeps, message: BuildRequested): Promise<Deployment | null> {
  const row = await loadDeployment(deps.db, message.deploymentId);
  if (!row || (row.state !== "queued" && row.state !== "building")) {
    deps.logger.info(
      { deploymentId: message.deploymentId, state: row?.state ?? null },
      "Skipped build: nothing to do",
    );
    return null;
  }
  if (row.state === "building") return row;
  if (await supersededWhileQueued(deps, row)) return null;
  const moved = await moveDeployment(deps.db, row.id, "build:building", "building", {}, inform("build"));
  deps.onOutboxWrite();
  return moved.kind === "stale" ? null : row;
}

/**
 * A deploy of the same app requested after this one (and not a rollback, which skips the build) makes a
 * still-queued build pointless: it is cancelled instead of built, so bursts of pushes build once.
 */
async function supersededWhileQueued(deps: BuildDeps, row: Deployment): Promise<boolean> {
  const newer = await newerDeployment(deps.db, row.appId, row.number);
  if (!newer || newer.trigger === "rollback") return false;
  const reason = `Superseded by v${newer.number} before its build started`;
  const moved = await moveDeployment(
    deps.db,
    row.id,
    "build:cancelled",
    "cancelled",
    { reason },
    inform("build"),
  );
  deps.onOutboxWrite();
  deps.logger.info(
    { deploymentId: row.id, newer: newer.id, moved: moved.kind },
    "Cancelled superseded build",
  );
  return true;
}

interface BuildResult {
  readonly image: string;
  readonly commitSha: string;
  readonly port: number;
  readonly processes: Record<string, string | null>;
  readonly releaseCommand: string | null;
}

async function build(deps: BuildDeps, message: BuildRequested): Promise<BuildResult> {
  const { settings } = deps;
  const onLine = (stream: "stdout" | "stderr", line: string) =>
    deps.sink.write({ appId: message.appId, deploymentId: message.deploymentId, stream, line });
  onLine("stdout", `Cloning ${message.repository.url} at ${message.repository.ref}`);
  const workspace = await checkoutRepository(message.repository, {
    appId: message.appId,
    workRoot: settings.workRoot,
    allowLocalRepos: settings.allowLocalRepos,
    timeoutMs: settings.cloneTimeoutMs,
    credentials: deps.credentials,
    onLine,
  });
  try {
    onLine("stdout", `Checked out ${workspace.commitSha}`);
    const overrides = await appBuildSettings(deps.db, message.appId);
    const prepared = await prepareBuild(
      workspace.dir,
      workspace.scratch,
      message.repository.rootDir,
      settings.baseImages,
      undefined,
      overrides,
    );
    const { plan } = prepared;
    onLine(
      "stdout",
      `Build plan: ${plan.provider}${plan.framework ? ` (${plan.framework})` : ""}, builder ${deps.builder.kind}`,
    );
    const output = await deps.builder.build({
      deploymentId: message.deploymentId,
      appId: message.appId,
      appName: message.appName,
      contextDir: prepared.contextDir,
      dockerfile: prepared.dockerfile,
      plan,
      target: overrides.buildTarget,
      ...splitBuildVars((await deps.buildVars?.(message.appId)) ?? []),
      scratchDir: workspace.scratch,
      timeoutMs: settings.buildTimeoutMs,
      onLine,
    });
    const port = (await appPort(deps.db, message.appId)) ?? plan.port ?? settings.defaultPort;
    return {
      image: output.image,
      commitSha: workspace.commitSha,
      port,
      processes: processTypes(plan),
      // The app's setting wins over what the plan found (Procfile `release`, Django migrate…).
      releaseCommand: overrides.releaseCommand ?? plan.releaseCommand,
    };
  } finally {
    await workspace.remove();
  }
}
