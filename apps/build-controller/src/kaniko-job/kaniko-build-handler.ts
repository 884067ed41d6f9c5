import type { BuildRequested } from "@kli8nt/core";
import { buildHandler, type HandlerLogger } from "../build-handler.ts";
import { type BuildLogSink, loggerLogSink } from "../build-log-sink.ts";
import type { Builder } from "../builder.ts";
import { type BusTrackerDeps, busBuildTracker } from "./bus-build-tracker.ts";

export interface KanikoBuildHandlerDeps extends BusTrackerDeps {
  /** The Kaniko Job builder (any Builder with its configured timeout). */
  readonly builder: Builder & { readonly timeoutMs: number };
  readonly logger: HandlerLogger;
  /** The Job's output stays in its pod (collected by the log controller); lines of this process go here. */
  readonly sink?: BuildLogSink | undefined;
  /** Port when neither the app nor the plan names one. */
  readonly defaultPort?: number | undefined;
}

/**
 * The cluster's wiring of the one build handler: the Kaniko Job builds, the api and the bus track the
 * build (ADR 0166). Resolving acks the BUILD message: only after DEPLOY/INFORM were confirmed by the broker.
 */
export function kanikoBuildHandler(deps: KanikoBuildHandlerDeps): (message: BuildRequested) => Promise<void> {
  return buildHandler({
    builder: deps.builder,
    tracker: busBuildTracker(deps),
    sink: deps.sink ?? loggerLogSink(deps.logger),
    logger: deps.logger,
    buildTimeoutMs: deps.builder.timeoutMs,
    // The chart sets no default port of its own: 3000, as the platform's other defaults.
    defaultPort: deps.defaultPort ?? 3000,
    ...(deps.now ? { now: deps.now } : {}),
  });
}
