import { randomBytes } from "node:crypto";
import { failUnderCi } from "@kli8nt/testkit";
import {
  CoreV1Api,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  type V1Ingress,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureCertificateCrd } from "../../../test/k8s/cert-manager-crds.ts";
import { type CertificateObject, renderCustomDomain } from "./custom-domains.ts";
import { applyOrder, renderApp } from "./render-app.ts";
import { resolveSettings } from "./settings.ts";

// A custom domain's Ingress and Certificate against the real API server of scripts/infra/kubernetes.sh,
// with cert-manager's real Certificate CRD (its schema validates what we render): stored as rendered.
// Issuing a certificate for real is test/k8s/real-certs.int.test.ts (Pebble, Traefik, the real node).
const kubeconfigPath = process.env.KLI8NT_TEST_KUBECONFIG;
failUnderCi(
  !kubeconfigPath,
  "KLI8NT_TEST_KUBECONFIG is not set: start_kubernetes (scripts/infra/kubernetes.sh) did not run",
);

const FIELD_MANAGER = "kli8nt-manifests-test";
const settings = resolveSettings({
  appsDomain: "apps.test.invalid",
  certificateIssuer: { kind: "Issuer", name: "letsencrypt" },
});

async function apply<T extends KubernetesObject>(kc: KubeConfig, object: T): Promise<T> {
  return (await KubernetesObjectApi.makeApiClient(kc).patch(
    object,
    undefined,
    undefined,
    FIELD_MANAGER,
    true,
    PatchStrategy.ServerSideApply,
  )) as T;
}

describe.skipIf(!kubeconfigPath)("custom domain objects on a real API server", () => {
  const kc = new KubeConfig();
  const suffix = randomBytes(4).toString("hex");
  const app = { id: `app_${suffix}`, name: `cd-${suffix}` };
  const m = renderApp(
    app,
    {
      deploymentId: `dep_${suffix}`,
      image: `registry.test.invalid/apps/hello@sha256:${randomBytes(32).toString("hex")}`,
      port: 3000,
    },
    settings,
  );

  beforeAll(async () => {
    kc.loadFromFile(kubeconfigPath ?? "");
    await ensureCertificateCrd(kc);
    for (const o of applyOrder(m)) await apply(kc, o);
  }, 120_000);

  afterAll(async () => {
    await kc
      .makeApiClient(CoreV1Api)
      .deleteNamespace({ name: m.names.namespace })
      .catch(() => undefined);
  });

  it("stores a pending and an active domain's Ingress and Certificate as rendered", async () => {
    const pending = renderCustomDomain(
      app,
      { hostname: `www.${suffix}.example.com`, certificateReady: false },
      settings,
    );
    const active = renderCustomDomain(
      app,
      { hostname: `*.${suffix}.example.org`, certificateReady: true },
      settings,
    );
    for (const d of [pending, active]) {
      const ingress = await apply(kc, d.ingress);
      const cert = await apply(kc, d.certificate);
      expect(ingress.metadata?.labels).toEqual(d.ingress.metadata?.labels);
      expect(ingress.metadata?.annotations).toEqual(d.ingress.metadata?.annotations);
      expect((ingress as V1Ingress).spec).toEqual(d.ingress.spec);
      expect((cert as CertificateObject).spec).toEqual(d.certificate.spec);
      expect(cert.metadata?.annotations?.["kli8nt.io/hostname"]).toBe(d.hostname);
    }
    // The app's own Ingress is another object: a domain never rewrites it.
    expect(pending.name).not.toBe(m.ingress.metadata?.name);
  });

  it("is refused by the Certificate's schema when the spec is wrong (the CRD validates for real)", async () => {
    const d = renderCustomDomain(
      app,
      { hostname: `bad.${suffix}.example.com`, certificateReady: false },
      settings,
    );
    const broken = { ...d.certificate, spec: { ...d.certificate.spec, secretName: undefined } };
    await expect(apply(kc, broken as unknown as KubernetesObject)).rejects.toMatchObject({ code: 422 });
  });
});
