import { z } from "zod";

/** Largest line stored in one record, in UTF-8 bytes; longer lines are split (see splitLongLine). */
export const MAX_LINE_BYTES = 16 * 1024;

export const logPhaseSchema = z.enum(["build", "release", "run", "cron"]);
export const logStreamSchema = z.enum(["stdout", "stderr"]);

/** One log line as captured, before it gets an offset. */
export const logRecordSchema = z.object({
  /** RFC 3339 time the line was produced (container runtimes give nanoseconds, hence a string). */
  timestamp: z.iso.datetime({ offset: true }),
  appId: z.string().min(1).max(200),
  deploymentId: z.string().min(1).max(200),
  phase: logPhaseSchema,
  /** Where the line came from: "builder", or "<pod>/<container>". */
  source: z.string().min(1).max(500),
  stream: logStreamSchema,
  line: z.string(),
  /**
   * Split marker: true on every piece of a line longer than MAX_LINE_BYTES except the last one,
   * as the CRI log format's "P" tag does; readers join pieces up to the next record without it.
   */
  partial: z.literal(true).optional(),
});

export type LogPhase = z.infer<typeof logPhaseSchema>;
export type LogStream = z.infer<typeof logStreamSchema>;
export type LogRecord = z.infer<typeof logRecordSchema>;

/** A stored record: the captured line plus its position in the app's log. */
export type StoredLogRecord = LogRecord & { readonly offset: number };

export const storedLogRecordSchema = logRecordSchema.extend({ offset: z.number().int().nonnegative() });
