import { request as httpsRequest } from "node:https";
import {
  ApiException,
  ApiextensionsV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  NetworkingV1Api,
  VersionApi,
} from "@kubernetes/client-node";

export interface DoctorOptions {
  readonly ingressClass: string;
  readonly issuer: {
    readonly kind: "ClusterIssuer" | "Issuer";
    readonly name: string;
    readonly namespace?: string;
  };
  /** Registry host (and optional path) builds push to; probed at https://<host>/v2/. */
  readonly registry: string | undefined;
  readonly buildNamespace: string;
  readonly timeoutMs?: number;
}

export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  /** What was found, or exactly what is missing and how to add it. */
  readonly message: string;
  /** An optional feature's check: when not ok it is reported "absent" and does not fail the doctor. */
  readonly optional?: boolean;
}

const CERT_MANAGER_CRDS = [
  "certificates.cert-manager.io",
  "issuers.cert-manager.io",
  "clusterissuers.cert-manager.io",
] as const;

/** What the controllers do; each is asked as the current user with a SelfSubjectAccessReview. */
const PERMISSIONS: ReadonlyArray<{
  verb: string;
  group: string;
  resource: string;
  sub?: string;
  ns?: "build";
}> = [
  { verb: "create", group: "", resource: "namespaces" },
  { verb: "patch", group: "apps", resource: "deployments" },
  { verb: "patch", group: "networking.k8s.io", resource: "ingresses" },
  { verb: "create", group: "batch", resource: "jobs", ns: "build" },
  { verb: "create", group: "", resource: "secrets", ns: "build" },
  { verb: "watch", group: "", resource: "pods" },
  { verb: "get", group: "", resource: "pods", sub: "log" },
];

const status = (error: unknown) => (error instanceof ApiException ? error.code : undefined);
const reason = (error: unknown) => (error instanceof Error ? error.message.split("\n")[0] : String(error));

export async function checkApiServer(kc: KubeConfig): Promise<CheckResult> {
  const server = kc.getCurrentCluster()?.server ?? "(no current cluster)";
  try {
    const version = await kc.makeApiClient(VersionApi).getCode();
    return { name: "api-server", ok: true, message: `Kubernetes ${version.gitVersion} at ${server}` };
  } catch (error) {
    return {
      name: "api-server",
      ok: false,
      message: `Cannot reach the Kubernetes API at ${server}: ${reason(error)}`,
    };
  }
}

export async function checkIngressClass(kc: KubeConfig, name: string): Promise<CheckResult> {
  try {
    const found = await kc.makeApiClient(NetworkingV1Api).readIngressClass({ name });
    return {
      name: "ingress-class",
      ok: true,
      message: `IngressClass "${name}" (${found.spec?.controller ?? "?"})`,
    };
  } catch (error) {
    if (status(error) !== 404) throw error;
    return {
      name: "ingress-class",
      ok: false,
      message: `IngressClass "${name}" is missing: install ingress-nginx (it creates the "nginx" class) or pass --ingress-class <name> of the controller you run`,
    };
  }
}

async function missingCrds(kc: KubeConfig): Promise<string[]> {
  const crds = kc.makeApiClient(ApiextensionsV1Api);
  const missing: string[] = [];
  for (const name of CERT_MANAGER_CRDS) {
    try {
      await crds.readCustomResourceDefinition({ name });
    } catch (error) {
      if (status(error) !== 404) throw error;
      missing.push(name);
    }
  }
  return missing;
}

async function issuerExists(kc: KubeConfig, issuer: DoctorOptions["issuer"]): Promise<boolean> {
  const objects = kc.makeApiClient(CustomObjectsApi);
  const ref = { group: "cert-manager.io", version: "v1", name: issuer.name };
  try {
    if (issuer.kind === "ClusterIssuer")
      await objects.getClusterCustomObject({ ...ref, plural: "clusterissuers" });
    else
      await objects.getNamespacedCustomObject({
        ...ref,
        plural: "issuers",
        namespace: issuer.namespace ?? "default",
      });
    return true;
  } catch (error) {
    if (status(error) !== 404) throw error;
    return false;
  }
}

export async function checkCertManager(
  kc: KubeConfig,
  issuer: DoctorOptions["issuer"],
): Promise<CheckResult> {
  const missing = await missingCrds(kc);
  if (missing.length > 0) {
    return {
      name: "cert-manager",
      ok: false,
      message: `cert-manager is not installed (missing CRDs: ${missing.join(", ")}): install cert-manager, then create the ${issuer.kind} "${issuer.name}"`,
    };
  }
  if (!(await issuerExists(kc, issuer))) {
    return {
      name: "cert-manager",
      ok: false,
      message: `cert-manager is installed but the ${issuer.kind} "${issuer.name}" is missing: create it (e.g. an ACME issuer)`,
    };
  }
  return { name: "cert-manager", ok: true, message: `cert-manager with ${issuer.kind} "${issuer.name}"` };
}

export async function checkBuildNamespace(kc: KubeConfig, namespace: string): Promise<CheckResult> {
  try {
    await kc.makeApiClient(CoreV1Api).readNamespace({ name: namespace });
    return { name: "build-namespace", ok: true, message: `Build namespace "${namespace}"` };
  } catch (error) {
    if (status(error) !== 404) throw error;
    return {
      name: "build-namespace",
      ok: false,
      message: `Build namespace "${namespace}" is missing: install the Helm chart (builds.createNamespace) or create it`,
    };
  }
}

type Permission = (typeof PERMISSIONS)[number];

function describePermission(p: Permission, buildNamespace: string): string {
  const group = p.group ? `${p.group}/` : "";
  const sub = p.sub ? `/${p.sub}` : "";
  const where = p.ns ? ` in ${buildNamespace}` : "";
  return `${p.verb} ${group}${p.resource}${sub}${where}`;
}

async function allowed(api: AuthorizationV1Api, p: Permission, buildNamespace: string): Promise<boolean> {
  const review = await api.createSelfSubjectAccessReview({
    body: {
      spec: {
        resourceAttributes: {
          verb: p.verb,
          group: p.group,
          resource: p.resource,
          ...(p.sub ? { subresource: p.sub } : {}),
          ...(p.ns ? { namespace: buildNamespace } : {}),
        },
      },
    },
  });
  return review.status?.allowed === true;
}

export async function checkPermissions(kc: KubeConfig, buildNamespace: string): Promise<CheckResult> {
  const api = kc.makeApiClient(AuthorizationV1Api);
  const denied: string[] = [];
  for (const p of PERMISSIONS) {
    if (!(await allowed(api, p, buildNamespace))) denied.push(describePermission(p, buildNamespace));
  }
  if (denied.length === 0)
    return { name: "rbac", ok: true, message: "Allowed everything the controllers do" };
  return {
    name: "rbac",
    ok: false,
    message: `Not allowed to: ${denied.join("; ")}. Run as a cluster admin, or bind the roles of deploy/helm/kli8nt`,
  };
}

export function checkRegistry(registry: string | undefined, timeoutMs = 5_000): Promise<CheckResult> {
  if (!registry) {
    return Promise.resolve({
      name: "registry",
      ok: false,
      message: "No registry given: pass --registry <host[:port]>",
    });
  }
  const host = registry.split("/")[0] ?? registry;
  const url = `https://${host}/v2/`;
  return new Promise((resolve) => {
    const req = httpsRequest(url, { method: "GET", timeout: timeoutMs }, (res) => {
      res.resume();
      // 401 is a registry asking for credentials: reachable, and the push Secret provides them.
      const ok = res.statusCode === 200 || res.statusCode === 401;
      resolve({
        name: "registry",
        ok,
        message: ok
          ? `Registry ${host} answers the v2 API`
          : `Registry ${host} answered ${res.statusCode} at ${url}, not a registry v2 API`,
      });
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", (error) =>
      resolve({
        name: "registry",
        ok: false,
        message: `Registry ${host} is not reachable at ${url}: ${reason(error)}`,
      }),
    );
    req.end();
  });
}
