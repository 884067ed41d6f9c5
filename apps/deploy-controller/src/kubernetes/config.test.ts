import { describe, expect, it } from "vitest";
import { loadKubernetesRuntimeConfig } from "./config.ts";

describe("loadKubernetesRuntimeConfig", () => {
  it("builds the manifest settings from KLI8NT_* variables, with defaults", () => {
    const config = loadKubernetesRuntimeConfig({
      KLI8NT_APPS_DOMAIN: "apps.example.com",
      KLI8NT_CERT_ISSUER: "Issuer/internal-ca",
      KLI8NT_RESYNC_SECONDS: "30",
    });
    expect(config).toEqual({
      kubeconfig: undefined,
      resyncMs: 30_000,
      settings: {
        appsDomain: "apps.example.com",
        namespacePrefix: "kli8nt-app-",
        ingressClassName: "nginx",
        ingressControllerNamespace: "ingress-nginx",
        certificateIssuer: { kind: "Issuer", name: "internal-ca" },
        progressDeadlineSeconds: 300,
      },
    });
  });

  it("reports every bad variable in one error", () => {
    expect(() =>
      loadKubernetesRuntimeConfig({
        KLI8NT_CERT_ISSUER: "letsencrypt",
        KLI8NT_PROGRESS_DEADLINE_SECONDS: "1",
      }),
    ).toThrow(/KLI8NT_APPS_DOMAIN[\s\S]*KLI8NT_CERT_ISSUER[\s\S]*KLI8NT_PROGRESS_DEADLINE_SECONDS/);
  });
});
