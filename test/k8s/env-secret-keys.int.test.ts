import { randomBytes } from "node:crypto";
import { FIELD_MANAGER, KubernetesDeployer, makeKubeApi } from "@kli8nt/deploy-controller/kubernetes";
import { resolveSettings } from "@kli8nt/manifests";
import { failUnderCi } from "@kli8nt/testkit";
import { CoreV1Api, KubeConfig, KubernetesObjectApi, PatchStrategy } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { imageNamed } from "./deploy-controller-cluster.ts";

// Issue 19 / kubernetes/kubernetes#108008: a variable the user deleted must leave the env Secret (and so
// every new pod) at the next deploy, also for Secrets an earlier version applied with `stringData`.
const kubeconfigPath = process.env.KLI8NT_TEST_KUBECONFIG;
failUnderCi(
  !kubeconfigPath,
  "KLI8NT_TEST_KUBECONFIG is not set: start_kubernetes (scripts/infra/kubernetes.sh) did not run",
);

describe.skipIf(!kubeconfigPath)("env Secret keys follow the app's variables", () => {
  const kc = new KubeConfig();
  const prefix = `kenv${randomBytes(3).toString("hex")}-`;
  let deployer: KubernetesDeployer;
  let core: CoreV1Api;

  beforeAll(() => {
    kc.loadFromFile(kubeconfigPath ?? "");
    core = kc.makeApiClient(CoreV1Api);
    deployer = new KubernetesDeployer(makeKubeApi(kc), {
      settings: resolveSettings({ appsDomain: "apps.test.invalid", namespacePrefix: prefix }),
    });
  });

  afterAll(async () => {
    const namespaces = await core.listNamespace();
    for (const ns of namespaces.items) {
      const name = ns.metadata?.name ?? "";
      if (name.startsWith(prefix)) await core.deleteNamespace({ name }).catch(() => undefined);
    }
  });

  const newApp = () => ({ id: "app_env", name: `env-${randomBytes(3).toString("hex")}` });
  const release = (n: number) => ({
    deploymentId: `dep_env_${n}`,
    image: imageNamed("hello-env"),
    port: 3000,
  });
  const decoded = async (app: { name: string }) => {
    const secret = await core.readNamespacedSecret({
      name: `${app.name}-env`,
      namespace: deployer.namespaceOf(app.name),
    });
    return Object.fromEntries(
      Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]),
    );
  };

  it("set A and B, deploy, remove B, deploy again: the Secret has A only", async () => {
    const app = newApp();
    await deployer.apply({ app, release: release(1), env: { A: "alpha", B: "bravo" } });
    expect(await decoded(app)).toEqual({ A: "alpha", B: "bravo" });
    await deployer.apply({ app, release: release(2), env: { A: "alpha2" } });
    expect(await decoded(app)).toEqual({ A: "alpha2" });
    await deployer.apply({ app, release: release(3), env: {} });
    expect(await decoded(app)).toEqual({});
  }, 60_000);

  it("drops a key of a Secret an earlier version applied with stringData (owned by no field manager)", async () => {
    const app = newApp();
    await deployer.apply({ app, release: release(1), env: { A: "alpha" } });
    // What the previous renderer sent: stringData, whose keys server-side apply never owns.
    await KubernetesObjectApi.makeApiClient(kc).patch(
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: `${app.name}-env`, namespace: deployer.namespaceOf(app.name) },
        type: "Opaque",
        stringData: { A: "alpha", B: "bravo" },
      },
      undefined,
      undefined,
      FIELD_MANAGER,
      true,
      PatchStrategy.ServerSideApply,
    );
    expect(await decoded(app)).toEqual({ A: "alpha", B: "bravo" });
    await deployer.apply({ app, release: release(2), env: { A: "alpha" } });
    expect(await decoded(app)).toEqual({ A: "alpha" });
  }, 60_000);
});
