import { ConflictError } from "@kli8nt/core";
import { type Db, deleteAddonRow, getAppAddon } from "@kli8nt/db";

// Cluster mode's side of the add-ons in the api (ADR 0226): rows only. The deploy controller applies the
// StatefulSet, Secret, Service and NetworkPolicies in the app's namespace, records `ready` once the pod is
// Ready, and removes the objects of a row that is gone.

/**
 * Forgets a cluster add-on after `confirm` names its app. The controller deletes its objects on its next
 * resync and keeps the volume claim: that claim is the final copy, in the app's namespace until the app is
 * deleted or a new add-on of the app replaces it.
 */
export async function removeClusterAddon(
  db: Db,
  app: { id: string; name: string },
  id: string,
): Promise<{ id: string; dumpPath: string }> {
  await getAppAddon(db, app.id, id);
  await deleteAddonRow(db, id);
  // The claim's name as packages/manifests' postgresAddonNames and the StatefulSet controller make it.
  return { id, dumpPath: `persistentvolumeclaim/data-${app.name}-postgres-0` };
}

export function clusterUnsupported(): ConflictError {
  return new ConflictError(
    "ADDON_UNSUPPORTED_IN_CLUSTER",
    "Backups, restores and psql sessions of add-ons are not available in cluster mode yet: use " +
      "kubectl exec into the add-on's pod (<app>-postgres-0 in the app's namespace) with pg_dump or psql",
  );
}
