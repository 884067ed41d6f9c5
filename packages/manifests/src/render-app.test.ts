import { dumpYaml, type KubernetesObject } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { envChecksum, renderEnvSecret } from "./env-secret.ts";
import type { ManifestApp, ManifestRelease } from "./inputs.ts";
import { renderDeployControllerRbac } from "./rbac.ts";
import { applyOrder, renderApp } from "./render-app.ts";
import { resolveSettings } from "./settings.ts";

const DIGEST = "sha256:3b1f5d0a9c2e4f6a8b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a";
const app: ManifestApp = { id: "app_5f0c2a7e9b1d4c3a8e6f0b2d4c6a8e0f", name: "hello" };
const release: ManifestRelease = {
  deploymentId: "dep_0a1b2c3d4e5f60718293a4b5c6d7e8f9",
  image: `registry.kli8nt.internal/apps/hello@${DIGEST}`,
  port: 8080,
  healthCheck: { path: "/healthz" },
  envChecksum: envChecksum({ DATABASE_URL: "postgres://db/hello", GREETING: "hi" }),
};
const settings = resolveSettings({ appsDomain: "apps.example.com" });

/** Goldens are the wire form (what `kubectl apply -f` would take), one YAML document per object. */
function toYaml(objects: readonly KubernetesObject[]): string {
  return objects.map((o) => `---\n${dumpYaml(o)}`).join("");
}

describe("renderApp goldens", () => {
  it("renders every object of a release", async () => {
    await expect(toYaml(applyOrder(renderApp(app, release, settings)))).toMatchFileSnapshot(
      "fixtures/hello-release.yaml",
    );
  });

  it("uses TCP probes without a health path and a namespaced Issuer when configured", async () => {
    const { healthCheck: _unused, envChecksum: _none, ...bare } = release;
    const custom = resolveSettings({
      appsDomain: "apps.example.com",
      certificateIssuer: { kind: "Issuer", name: "internal-ca" },
      ingressControllerNamespace: "kube-ingress",
    });
    const m = renderApp(app, bare, custom);
    await expect(toYaml([m.deployment, m.ingress, m.networkPolicy])).toMatchFileSnapshot(
      "fixtures/hello-tcp-issuer.yaml",
    );
  });

  it("renders the env Secret and the deploy controller RBAC", async () => {
    const secret = renderEnvSecret(
      app,
      release,
      { GREETING: "hi", DATABASE_URL: "postgres://db/hello" },
      settings,
    );
    await expect(toYaml([secret, ...renderDeployControllerRbac()])).toMatchFileSnapshot(
      "fixtures/env-secret-and-rbac.yaml",
    );
  });
});

describe("renderApp details", () => {
  it("puts the app at <app>.<apps domain> with a TLS secret from the configured cluster issuer", () => {
    const { ingress } = renderApp(app, release, settings);
    expect(ingress.spec?.rules?.[0]?.host).toBe("hello.apps.example.com");
    expect(ingress.spec?.tls).toEqual([{ hosts: ["hello.apps.example.com"], secretName: "hello-tls" }]);
    expect(ingress.metadata?.annotations?.["cert-manager.io/cluster-issuer"]).toBe("letsencrypt");
    expect(ingress.spec?.ingressClassName).toBe("nginx");
  });

  it("keeps the pod selector stable across releases while the template carries the deployment id", () => {
    const first = renderApp(app, release, settings).deployment;
    const second = renderApp(
      app,
      { ...release, deploymentId: "dep_ffffffffffffffffffffffffffffffff" },
      settings,
    ).deployment;
    expect(second.spec?.selector).toEqual(first.spec?.selector);
    expect(second.spec?.template.metadata?.labels?.["kli8nt.io/deployment"]).toBe(
      "dep_ffffffffffffffffffffffffffffffff",
    );
  });

  it("gives the same checksum for the same variables in any order, and another for other values", () => {
    expect(envChecksum({ A: "1", B: "2" })).toBe(envChecksum({ B: "2", A: "1" }));
    expect(envChecksum({ A: "1", B: "2" })).not.toBe(envChecksum({ A: "1", B: "3" }));
    expect(envChecksum({ a: "b=c" })).not.toBe(envChecksum({ "a=b": "c" }));
  });

  it("rejects a tag instead of a digest and lists every bad input", () => {
    const bad = { ...release, image: "registry/hello:latest", port: 0 };
    expect(() => renderApp({ ...app, name: "Hello_World" }, bad, settings)).toThrowError(
      expect.objectContaining({
        code: "MANIFEST_INPUT_INVALID",
        issues: expect.arrayContaining([
          expect.objectContaining({ path: "release.image" }),
          expect.objectContaining({ path: "release.port" }),
          expect.objectContaining({ path: "app.name" }),
        ]),
      }),
    );
  });

  it("rejects a namespace prefix that makes the namespace longer than 63 characters", () => {
    const long = resolveSettings({ appsDomain: "apps.example.com", namespacePrefix: `${"p".repeat(60)}-` });
    expect(() => renderApp(app, release, long)).toThrowError(
      expect.objectContaining({ code: "MANIFEST_INPUT_INVALID" }),
    );
  });
});
