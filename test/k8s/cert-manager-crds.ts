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
export async function ensureCertificateCrd(kc: KubeConfig): Promise<void> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const name = "certificates.cert-manager.io";
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
  const file = join(stdout.trim(), "deploy/crds/cert-manager.io_certificates.yaml");
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
