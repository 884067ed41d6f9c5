import {
  ApiException,
  AppsV1Api,
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
}

/** A kubeconfig file, or the in-cluster service account when no path is given. */
export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromCluster();
  return kc;
}

export function makeKubeApi(kc: KubeConfig): KubeApi {
  return {
    objects: KubernetesObjectApi.makeApiClient(kc),
    apps: kc.makeApiClient(AppsV1Api),
    core: kc.makeApiClient(CoreV1Api),
  };
}

/**
 * Server-side apply with force: this controller owns every field it renders, so a conflict with another
 * manager (someone's `kubectl edit`) is resolved in favour of the desired state.
 */
export async function applyObject<T extends KubernetesObject>(api: KubeApi, object: T): Promise<T> {
  return (await api.objects.patch(
    object,
    undefined,
    undefined,
    FIELD_MANAGER,
    true,
    PatchStrategy.ServerSideApply,
  )) as T;
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
