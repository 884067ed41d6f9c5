import { PatchStrategy, type V1Secret } from "@kubernetes/client-node";
import { FIELD_MANAGER, type KubeApi } from "./kube-api.ts";

/**
 * Removes the keys of an applied env Secret that are no longer variables of the app. The Secret is
 * applied with its full `data` map, so apply itself drops the keys it owned; this catches the rest:
 * keys of a Secret applied with `stringData` by an earlier version (never owned by any field manager,
 * kubernetes/kubernetes#108008) or added by hand. Returns the keys it removed (names only: never values).
 */
export async function pruneEnvSecret(
  api: KubeApi,
  applied: V1Secret,
  entries: Readonly<Record<string, string>>,
): Promise<string[]> {
  const stale = Object.keys(applied.data ?? {}).filter((key) => !Object.hasOwn(entries, key));
  if (stale.length === 0) return stale;
  // A JSON merge patch: `null` deletes a key, and keys the user still has are left alone.
  await api.objects.patch(
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: applied.metadata?.name ?? "", namespace: applied.metadata?.namespace ?? "" },
      data: Object.fromEntries(stale.map((key) => [key, null])),
    } as unknown as V1Secret,
    undefined,
    undefined,
    FIELD_MANAGER,
    undefined,
    PatchStrategy.MergePatch,
  );
  return stale;
}
