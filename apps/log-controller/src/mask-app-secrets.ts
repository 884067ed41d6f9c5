import { createSecretMasker, type LogStore } from "@kli8nt/logstore";
import type { AppSecrets } from "./app-secrets.ts";

/**
 * Wraps the store so every line (build and run) is masked with the app's secret values before it is
 * stored. Like withSecretMasking, but the lookup sees the batch's deployments, so the first line of a
 * new deployment reads the values again (AppSecrets).
 */
export function maskAppSecrets(store: LogStore, secrets: Pick<AppSecrets, "valuesFor">): LogStore {
  return {
    ...store,
    async append(appId, records) {
      const values = await secrets.valuesFor(
        appId,
        records.map((r) => r.deploymentId),
      );
      const mask = createSecretMasker(values);
      return store.append(
        appId,
        records.map((r) => ({ ...r, line: mask(r.line) })),
      );
    },
  };
}
