import { TerminalError, UnavailableError } from "@kli8nt/core";
import type { V1Namespace } from "@kubernetes/client-node";
import { describeApiError, httpStatusOf, isTransient, type KubeApi } from "./kube-api.ts";

/** What a removal found: nothing, a delete just issued, or Kubernetes still removing the content. */
export type NamespaceRemoval = "absent" | "deleted" | "terminating";

// The namespace controller's conditions that say why a Terminating namespace does not go away.
const STUCK = new Set([
  "NamespaceDeletionDiscoveryFailure",
  "NamespaceDeletionGroupVersionParsingFailure",
  "NamespaceDeletionContentFailure",
  "NamespaceContentRemaining",
  "NamespaceFinalizersRemaining",
]);

/**
 * Deletes an app's namespace once (issue 20). A Terminating one is not deleted again: it is only read on
 * later resyncs until it is gone, and when the namespace controller reports why it is stuck (a finalizer
 * nobody removes), that reason is the error. A delete refused for good (403, an admission policy) is a
 * TerminalError: the caller records it and does not retry it; a transient failure is retried.
 */
export async function removeNamespace(api: KubeApi, name: string): Promise<NamespaceRemoval> {
  let namespace: V1Namespace;
  try {
    namespace = await api.core.readNamespace({ name });
  } catch (error) {
    if (httpStatusOf(error) === 404) return "absent";
    throw unavailable(name, error);
  }
  if (namespace.metadata?.deletionTimestamp || namespace.status?.phase === "Terminating") {
    return stillTerminating(name, namespace);
  }
  try {
    await api.core.deleteNamespace({ name });
    return "deleted";
  } catch (error) {
    const status = httpStatusOf(error);
    if (status === 404) return "absent";
    if (status === 409) return "terminating";
    if (isTransient(error)) throw unavailable(name, error);
    throw new TerminalError(
      "NAMESPACE_DELETE_REFUSED",
      `Deleting namespace ${name} was refused (${describeApiError(error)}); it is not retried until the ` +
        "deploy controller restarts: fix the cause (RBAC, an admission policy), then restart it",
      { cause: error, details: { namespace: name, status } },
    );
  }
}

function unavailable(name: string, error: unknown): UnavailableError {
  return new UnavailableError(
    "KUBERNETES_DELETE_FAILED",
    `Deleting namespace ${name} failed: ${describeApiError(error)}`,
    {
      cause: error,
      details: { namespace: name },
    },
  );
}

/** "terminating" while the namespace controller works; its stuck condition as the error otherwise. */
function stillTerminating(name: string, namespace: V1Namespace): "terminating" {
  const stuck = (namespace.status?.conditions ?? []).filter((c) => STUCK.has(c.type) && c.status === "True");
  // Its content gone, only the namespace's own finalizers (someone else's) keep it.
  const held = namespace.spec?.finalizers?.length ? [] : (namespace.metadata?.finalizers ?? []);
  const reasons = [
    ...stuck.map((c) => `${c.type}: ${c.message ?? c.reason ?? "no detail"}`),
    ...(held.length > 0 ? [`held by its finalizers ${held.join(", ")}`] : []),
  ];
  if (reasons.length === 0) return "terminating";
  throw new UnavailableError(
    "NAMESPACE_TERMINATING",
    `Namespace ${name} is still Terminating: ${reasons.join("; ")}`,
    { details: { namespace: name, conditions: stuck.map((c) => c.type) } },
  );
}
