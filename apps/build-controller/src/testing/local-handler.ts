import { join } from "node:path";
import type { Db } from "@kli8nt/db";
import { buildHandler } from "../build-handler.ts";
import { type BuildLogSink, memoryLogSink } from "../build-log-sink.ts";
import type { BuildVar } from "../build-tracker.ts";
import { localBuilder } from "../local-builder.ts";
import { outboxBuildTracker } from "../outbox-build-tracker.ts";
import { processImageBuild } from "../process/process-builder.ts";
import type { CloneCredentials } from "../workspace.ts";

const quiet = { info: () => undefined, warn: () => undefined };

/** The single-machine build handler as startBuildController wires it, over the process builder in `work`. */
export function localTestHandler(
  db: Db,
  work: string,
  options: {
    sink?: BuildLogSink;
    credentials?: CloneCredentials | undefined;
    buildVars?: (appId: string) => Promise<readonly BuildVar[]>;
  } = {},
) {
  const builder = localBuilder(processImageBuild({ releasesDir: join(work, "releases") }), {
    workRoot: join(work, "builds"),
    allowLocalRepos: true,
    cloneTimeoutMs: 30_000,
    baseImages: {},
    credentials: options.credentials,
  });
  return buildHandler({
    builder,
    tracker: outboxBuildTracker({
      db,
      logger: quiet,
      buildVars: options.buildVars,
      onOutboxWrite: () => undefined,
    }),
    sink: options.sink ?? memoryLogSink(),
    logger: quiet,
    buildTimeoutMs: 60_000,
    defaultPort: 3000,
  });
}
