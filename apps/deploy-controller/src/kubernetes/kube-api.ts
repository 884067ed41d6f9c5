import { Agent } from "node:https";
import {
  ApiException,
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
} from "@kubernetes/client-node";

/** The field manager of every server-side apply this controller makes (docs/adr/0100). */
export const FIELD_MANAGER = "kli8nt-deploy-controller";

/** The typed clients the Kubernetes runtime uses, made once from one KubeConfig. */
export interface KubeApi {
  readonly objects: KubernetesObjectApi;
  readonly apps: AppsV1Api;
  readonly core: CoreV1Api;
  readonly batch: BatchV1Api;
}

/** A kubeconfig file, or the in-cluster service account when no path is given. */
export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromCluster();
  return kc;
}

const pooled = new WeakSet<KubeConfig>();

/**
 * client-node 1.x makes a new https.Agent for every request, so every call pays a TLS handshake on both
 * ends (most of the cost of a cold start with thousands of applies). This keeps one keep-alive agent per
 * KubeConfig; authentication headers are still applied per request, so rotated tokens keep working.
 */
export function poolConnections(kc: KubeConfig, maxSockets = 64): KubeConfig {
  if (pooled.has(kc)) return kc;
  pooled.add(kc);
  const apply = kc.applySecurityAuthentication.bind(kc);
  let shared: Agent | undefined;
  kc.applySecurityAuthentication = async (context) => {
    await apply(context);
    const agent = context.getAgent();
    // Proxy agents (SOCKS, HTTP CONNECT) are left as they are.
    if (!(agent instanceof Agent) || agent.constructor !== Agent) return;
    shared ??= new Agent({ ...agent.options, keepAlive: true, maxSockets });
    context.setAgent(shared);
  };
  return kc;
}

export function makeKubeApi(kc: KubeConfig): KubeApi {
  poolConnections(kc);
  return {
    objects: KubernetesObjectApi.makeApiClient(kc),
    apps: kc.makeApiClient(AppsV1Api),
    core: kc.makeApiClient(CoreV1Api),
    batch: kc.makeApiClient(BatchV1Api),
  };
}

/**
 * Server-side apply with force: this controller owns every field it renders, so a conflict with another
 * manager (someone's `kubectl edit`) is resolved in favour of the desired state.
 */
export async function applyObject<T extends KubernetesObject>(
  api: KubeApi,
  object: T,
  options: { readonly afterGrant?: boolean } = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return (await api.objects.patch(
        object,
        undefined,
        undefined,
        FIELD_MANAGER,
        true,
        PatchStrategy.ServerSideApply,
      )) as T;
    } catch (error) {
      // Just after the RoleBinding that grants it (docs/adr/0141), the API server's authorizer may not
      // have seen the binding yet: a 403 then means "not yet", for a few seconds.
      if (options.afterGrant && httpStatusOf(error) === 403 && attempt < GRANT_ATTEMPTS) {
        await new Promise((resolve) => setTimeout(resolve, 100 * Math.min(attempt, 5)));
        continue;
      }
      // An apply is idempotent, so a dropped connection or an overloaded server is simply retried.
      if (attempt >= APPLY_ATTEMPTS || !isTransient(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
    }
  }
}

const APPLY_ATTEMPTS = 5;
const GRANT_ATTEMPTS = 30;
const TRANSIENT_STATUS = new Set([429, 500, 502, 503, 504]);

/** Network failures (no HTTP status) and the statuses that mean "try again". */
export function isTransient(error: unknown): boolean {
  const status = httpStatusOf(error);
  return status === undefined ? error instanceof Error : TRANSIENT_STATUS.has(status);
}

/** The HTTP status of a failed API call, if it was one. */
export function httpStatusOf(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

/** Short, token-free text of an API error for logs and deployment reasons. */
export function describeApiError(error: unknown): string {
  if (error instanceof ApiException) {
    const body = typeof error.body === "string" ? error.body : JSON.stringify(error.body);
    const message = /"message":"((?:[^"\\]|\\.)*)"/.exec(body ?? "")?.[1];
    return `HTTP ${error.code}${message ? `: ${message}` : ""}`;
  }
  return error instanceof Error ? error.message : String(error);
}
