import type { LogBackend, LogCursor } from "./backend.ts";
import type { LogEvent, LogSubscription, SubscribeOptions } from "./logstore.ts";
import { matchesFilter, tailStart } from "./read-records.ts";

const PAGE_SIZE = 1_000;
const DEFAULT_MAX_LAG = 10_000;

/**
 * A subscription pulls pages from a cursor at the consumer's pace, so memory stays bounded by one page
 * whatever the consumer does. History and live lines come through the same cursor, hence in offset order
 * without gaps or repeats. Once caught up, a consumer that falls more than `maxLag` records behind is
 * moved forward (keeping the newest maxLag/2) and told how many records it skipped.
 */
export function openSubscription(
  backend: LogBackend,
  appId: string,
  options: SubscribeOptions,
): LogSubscription {
  const abort = new AbortController();
  let cursor: LogCursor | undefined;
  const maxLag = Math.max(options.maxLag ?? DEFAULT_MAX_LAG, 2);

  // Fixed now, not at the first pull: "live only" means lines appended after subscribe() was called.
  const start = startOffset(backend, appId, options);
  start.catch(() => undefined);

  async function* events(): AsyncGenerator<LogEvent> {
    let position = await start;
    cursor = backend.openCursor(appId, position);
    let caughtUp = false;
    try {
      while (!abort.signal.aborted) {
        const page = await cursor.take(PAGE_SIZE, { signal: abort.signal });
        if (page.closed) return;
        if (caughtUp && page.end - position > maxLag) {
          const skipTo = page.end - Math.floor(maxLag / 2);
          yield { type: "dropped", dropped: skipTo - position, from: position, to: skipTo };
          position = skipTo;
          cursor.seek(skipTo);
          continue;
        }
        for (const record of page.records) {
          if (record.offset < position) continue;
          if (record.offset > position) {
            yield { type: "dropped", dropped: record.offset - position, from: position, to: record.offset };
          }
          position = record.offset + 1;
          if (matchesFilter(record, options)) yield { type: "record", record };
        }
        if (position >= page.end) caughtUp = true;
      }
    } finally {
      await cursor.close();
    }
  }

  const iterator = events();
  return {
    [Symbol.asyncIterator]: () => iterator,
    async close() {
      abort.abort();
      await iterator.return(undefined);
    },
  };
}

async function startOffset(backend: LogBackend, appId: string, options: SubscribeOptions): Promise<number> {
  if (options.from !== undefined) return options.from;
  if (options.tail !== undefined) return tailStart(backend, appId, options.tail, options);
  return (await backend.bounds(appId)).end;
}
