import type { BuildLogLine, BuildLogSink } from "./build-log-sink.ts";

/** The part of @kli8nt/logstore's LogStore this sink needs (kept structural so the package stays optional). */
export interface LogAppender {
  append(
    appId: string,
    records: ReadonlyArray<{
      timestamp: string;
      appId: string;
      deploymentId: string;
      phase: "build" | "run";
      source: string;
      stream: "stdout" | "stderr";
      line: string;
    }>,
  ): Promise<unknown>;
}

/**
 * Appends build lines to the LogStore in small batches (one append per tick per app), in order. A failed
 * append is reported, not thrown: losing a log line must not fail a build.
 */
export function logStoreLogSink(store: LogAppender, onError: (error: unknown) => void): BuildLogSink {
  let pending: BuildLogLine[] = [];
  let chain: Promise<void> = Promise.resolve();
  let scheduled = false;
  const drain = (): void => {
    scheduled = false;
    const batch = pending;
    pending = [];
    const byApp = new Map<string, BuildLogLine[]>();
    for (const l of batch) byApp.set(l.appId, [...(byApp.get(l.appId) ?? []), l]);
    chain = chain.then(async () => {
      for (const [appId, lines] of byApp) {
        const timestamp = new Date().toISOString();
        const records = lines.map((l) => ({
          timestamp,
          appId,
          deploymentId: l.deploymentId,
          phase: "build" as const,
          source: "builder",
          stream: l.stream,
          line: l.line,
        }));
        await store.append(appId, records).catch(onError);
      }
    });
  };
  return {
    write(line) {
      pending.push(line);
      if (!scheduled) {
        scheduled = true;
        setImmediate(drain);
      }
    },
    async flush() {
      if (scheduled) drain();
      await chain;
    },
  };
}
