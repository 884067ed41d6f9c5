import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { eventually } from "@kli8nt/testkit";
import {
  ApiException,
  ApiextensionsV1Api,
  type KubeConfig,
  loadAllYaml,
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
