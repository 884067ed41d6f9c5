import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Bus, Consumer } from "@kli8nt/bus";
import { MESSAGE_SCHEMAS, QUEUES } from "@kli8nt/core";
import type { Db } from "@kli8nt/db";
import { buildHandler, type HandlerLogger } from "./build-handler.ts";
import type { BuildLogSink } from "./build-log-sink.ts";
import type { BuildVar } from "./build-tracker.ts";
import { BUILDER_PID_FILE, buildahImageBuild } from "./buildah/buildah-builder.ts";
import type { ImageBuild } from "./builder.ts";
import type { BuildControllerConfig } from "./config.ts";
import { localBuilder } from "./local-builder.ts";
import { outboxBuildTracker } from "./outbox-build-tracker.ts";
import { processImageBuild } from "./process/process-builder.ts";
import { killRecordedGroup, runCommand } from "./run-command.ts";
import type { CloneCredentials } from "./workspace.ts";

/** True when `buildah` runs on this machine. */
export async function hasBuildah(): Promise<boolean> {
  try {
    return (await runCommand("buildah", ["--version"], { timeoutMs: 10_000 })).code === 0;
  } catch {
    return false;
  }
}

/**
 * The configured image builder; `auto` picks buildah when it is installed, else the unisolated process
 * builder. startBuildController wraps it into the Builder port (checkout and plan, local-builder.ts).
 */
export async function createBuilder(config: BuildControllerConfig): Promise<ImageBuild> {
  const kind = config.builder === "auto" ? ((await hasBuildah()) ? "buildah" : "process") : config.builder;
  if (kind === "process") return processImageBuild({ releasesDir: config.releasesDir });
  return buildahImageBuild({
    registry: config.registry,
    caFile: config.caFile,
    memory: config.buildMemory,
    imagePrefix: config.imagePrefix,
  });
}

export interface BuildControllerDeps {
  readonly db: Db;
  readonly bus: Bus;
  readonly config: BuildControllerConfig;
  readonly builder: ImageBuild;
  readonly sink: BuildLogSink;
  readonly logger: HandlerLogger;
  readonly credentials?: CloneCredentials;
  /** The app's build-time variables (`build: true`), decrypted; none when absent. */
  readonly buildVars?: (appId: string) => Promise<readonly BuildVar[]>;
  readonly onOutboxWrite: () => void;
}

/**
 * Workspaces (and running buildah process groups) left by a killed platform process: nothing else uses this
 * directory, and interrupted builds restart from scratch (ADR 0060).
 */
async function removeLeftovers(workRoot: string, logger: HandlerLogger): Promise<void> {
  const entries = await readdir(workRoot).catch(() => [] as string[]);
  for (const entry of entries) {
    const pid = Number(await readFile(join(workRoot, entry, BUILDER_PID_FILE), "utf8").catch(() => ""));
    if (pid > 1 && killRecordedGroup(pid, "buildah"))
      logger.warn({ pid }, "Killed a build left running by a previous process");
  }
  await rm(workRoot, { recursive: true, force: true });
}

/** Starts consuming BUILD; `cancel()` on the result stops it after the running builds. */
export async function startBuildController(deps: BuildControllerDeps): Promise<Consumer> {
  const { config } = deps;
  await removeLeftovers(config.workRoot, deps.logger);
  await mkdir(config.workRoot, { recursive: true });
  const builder = localBuilder(deps.builder, {
    workRoot: config.workRoot,
    allowLocalRepos: config.allowLocalRepos,
    cloneTimeoutMs: config.cloneTimeoutMs,
    baseImages: config.baseImages,
    credentials: deps.credentials,
  });
  const tracker = outboxBuildTracker({
    db: deps.db,
    logger: deps.logger,
    buildVars: deps.buildVars,
    onOutboxWrite: deps.onOutboxWrite,
  });
  const handle = buildHandler({
    builder,
    tracker,
    sink: deps.sink,
    logger: deps.logger,
    buildTimeoutMs: config.buildTimeoutMs,
    defaultPort: config.defaultPort,
  });
  if (!deps.builder.isolated)
    deps.logger.warn({ builder: deps.builder.kind }, "Builds run unisolated: buildah is not installed");
  return deps.bus.consume(QUEUES.build, MESSAGE_SCHEMAS.BUILD, handle, {
    prefetch: config.concurrency,
  });
}
