import type { LogStore, StoredLogRecord } from "@kli8nt/logstore";
import { Checkpoint } from "./log-line.ts";

/** How many of the app's newest records are searched for a container's last line. */
const SEARCH_WINDOW = 5_000;

/** Joins split pieces (`partial`) back into whole lines, as they were read from the container. */
function wholeLines(records: readonly StoredLogRecord[]): Array<{ timestamp: string; line: string }> {
  const out: Array<{ timestamp: string; line: string }> = [];
  let pieces = "";
  for (const record of records) {
    pieces += record.line;
    if (record.partial) continue;
    out.push({ timestamp: record.timestamp, line: pieces });
    pieces = "";
  }
  return out;
}

/**
 * The checkpoint of one container recovered from the store: its newest stored timestamp and the lines
 * stored at exactly that timestamp. So a restarted controller resumes where the previous one stopped,
 * without keeping state of its own. Containers quiet for longer than the search window start over from
 * their first line and are de-duplicated by timestamp only as far as the window reaches.
 */
export async function resumePoint(
  store: LogStore,
  appId: string,
  deploymentId: string,
  source: string,
): Promise<Checkpoint> {
  const { records } = await store.read(appId, {
    deployment: deploymentId,
    tail: SEARCH_WINDOW,
    limit: 10_000,
  });
  const mine = wholeLines(records.filter((r) => r.source === source));
  const last = mine.at(-1);
  if (!last) return new Checkpoint();
  const atLast = mine.filter((r) => r.timestamp === last.timestamp).map((r) => r.line);
  return new Checkpoint(last.timestamp, atLast);
}
