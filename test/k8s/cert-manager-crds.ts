import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { eventually } from "@kli8nt/testkit";
import {
  ApiException,
  ApiextensionsV1Api,
  CustomObjectsApi,
  type KubeConfig,
  loadAllYaml,
  PatchStrategy,
  setHeaderOptions,
  type V1CustomResourceDefinition,
} from "@kubernetes/client-node";

const MODULE_DIR = join(dirname(fileURLToPath(import.meta.url)), "certmanager");

/**
 * cert-manager's real Certificate CRD (from the Go module scripts/infra/certs.sh builds from), created on
 * the test cluster when it is not there yet, so a Certificate is validated by its real schema even
 * without the certs service. Needs Go and the module (cached after the first `go mod download`).
 */
export function ensureCertificateCrd(kc: KubeConfig): Promise<void> {
  return ensureCrd(kc, "certificates.cert-manager.io");
}

/**
 * cert-manager's real ACME Order and Challenge CRDs, as ensureCertificateCrd: a test writes them (and
 * their status) as cert-manager's controller would, to check what the deploy controller reads of them.
 */
export async function ensureAcmeCrds(kc: KubeConfig): Promise<void> {
  await ensureCrd(kc, "orders.acme.cert-manager.io");
  await ensureCrd(kc, "challenges.acme.cert-manager.io");
}

/** `<plural>.<group>`, from the module's deploy/crds/<group>_<plural>.yaml. */
async function ensureCrd(kc: KubeConfig, name: string): Promise<void> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  try {
    await api.readCustomResourceDefinition({ name });
    return;
  } catch (error) {
    if (!(error instanceof ApiException && error.code === 404)) throw error;
  }
  const { stdout } = await promisify(execFile)(
    "go",
    ["list", "-m", "-f", "{{.Dir}}", "github.com/cert-manager/cert-manager"],
    { cwd: MODULE_DIR },
  );
  const dot = name.indexOf(".");
  const file = join(stdout.trim(), `deploy/crds/${name.slice(dot + 1)}_${name.slice(0, dot)}.yaml`);
  const [crd] = loadAllYaml(readFileSync(file, "utf8")) as V1CustomResourceDefinition[];
  if (!crd) throw new Error(`no CRD in ${file}`);
  await api.createCustomResourceDefinition({ body: crd }).catch((error: unknown) => {
    if (!(error instanceof ApiException && error.code === 409)) throw error;
  });
  await eventually(
    `CRD ${name} Established`,
    async () => {
      const got = await api.readCustomResourceDefinition({ name });
      return got.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")
        ? true
        : undefined;
    },
    30_000,
  );
}

/**
 * A Certificate's Order and its failing Challenge, as cert-manager's controllers write them: the
 * CertificateRequest's labels and annotations copied onto the Order, the Challenge owned by the Order,
 * its status (a self check's reason) through the status subresource.
 */
export async function writeFailingChallenge(
  kc: KubeConfig,
  c: { namespace: string; certificate: string; host: string; revision: string; reason: string },
): Promise<void> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const acme = { group: "acme.cert-manager.io", version: "v1", namespace: c.namespace } as const;
  const issuerRef = { name: "letsencrypt", kind: "Issuer", group: "cert-manager.io" };
  const order = (await api.createNamespacedCustomObject({
    ...acme,
    plural: "orders",
    body: {
      apiVersion: "acme.cert-manager.io/v1",
      kind: "Order",
      metadata: {
        generateName: `${c.certificate}-`,
        labels: { "kli8nt.io/custom-domain": "true" },
        annotations: {
          "cert-manager.io/certificate-name": c.certificate,
          "cert-manager.io/certificate-revision": c.revision,
        },
      },
      spec: { request: Buffer.from("csr").toString("base64"), issuerRef, dnsNames: [c.host] },
    },
  })) as { metadata: { name: string; uid: string } };
  const owner = { apiVersion: "acme.cert-manager.io/v1", kind: "Order", controller: true, ...order.metadata };
  const challenge = (await api.createNamespacedCustomObject({
    ...acme,
    plural: "challenges",
    body: {
      apiVersion: "acme.cert-manager.io/v1",
      kind: "Challenge",
      metadata: {
        generateName: `${order.metadata.name}-`,
        ownerReferences: [{ ...owner, name: order.metadata.name, uid: order.metadata.uid }],
      },
      spec: {
        authorizationURL: "https://acme.test.invalid/authz/1",
        dnsName: c.host,
        issuerRef,
        key: "key",
        solver: { http01: { ingress: { ingressClassName: "traefik" } } },
        token: "token",
        type: "HTTP-01",
        url: "https://acme.test.invalid/chall/1",
      },
    },
  })) as { metadata: { name: string } };
  await api.patchNamespacedCustomObjectStatus(
    {
      ...acme,
      plural: "challenges",
      name: challenge.metadata.name,
      body: { status: { state: "pending", processing: true, presented: true, reason: c.reason } },
    },
    setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
  );
}
