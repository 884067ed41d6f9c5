/** One line of build output (clone, plan, builder) for one deployment. */
export interface BuildLogLine {
  readonly appId: string;
  readonly deploymentId: string;
  readonly stream: "stdout" | "stderr";
  readonly line: string;
}

/**
 * Where build output goes as it comes: the LogStore in the platform, the process logger otherwise.
 * `write` never throws and never blocks the build; `flush` resolves once everything written is stored.
 */
export interface BuildLogSink {
  write(line: BuildLogLine): void;
  flush(): Promise<void>;
}

/** Structural logger (pino fits). */
export interface SinkLogger {
  info(obj: object, msg: string): void;
}

/** Build lines as structured log entries: used when no LogStore is wired. */
export function loggerLogSink(logger: SinkLogger): BuildLogSink {
  return {
    write: (l) =>
      logger.info({ deploymentId: l.deploymentId, stream: l.stream, line: l.line }, "Build output"),
    flush: async () => undefined,
  };
}

/** Collects lines in memory: for tests and for the failure reason (last lines of the build). */
export function memoryLogSink(): BuildLogSink & { readonly lines: BuildLogLine[] } {
  const lines: BuildLogLine[] = [];
  return { lines, write: (l) => void lines.push(l), flush: async () => undefined };
}
