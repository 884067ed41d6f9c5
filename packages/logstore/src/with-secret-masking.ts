import type { LogStore } from "./logstore.ts";
import { createSecretMasker } from "./secret-masker.ts";

/**
 * Wraps a store so that every line is masked with the app's secret values before it is stored, for
 * build and run output alike. `secretsOf` is called on each append, so changed secrets apply at once.
 */
export function withSecretMasking(
  store: LogStore,
  secretsOf: (appId: string) => readonly string[] | Promise<readonly string[]>,
): LogStore {
  return {
    ...store,
    async append(appId, records) {
      const mask = createSecretMasker(await secretsOf(appId));
      return store.append(
        appId,
        records.map((r) => ({ ...r, line: mask(r.line) })),
      );
    },
  };
}
