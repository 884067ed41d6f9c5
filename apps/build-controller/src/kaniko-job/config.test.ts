import { describe, expect, it } from "vitest";
import { loadKanikoJobConfig } from "./config.ts";

const KANIKO = `ghcr.io/osscontainertools/kaniko@sha256:${"a".repeat(64)}`;
const base = { KLI8NT_KANIKO_IMAGE: KANIKO, KLI8NT_PREPARE_IMAGE: "ghcr.io/kli8nt/kli8nt:0.1.0" };

describe("loadKanikoJobConfig", () => {
  it("has safe defaults once the images are named", () => {
    const config = loadKanikoJobConfig(base);
    expect(config).toMatchObject({
      namespace: "kli8nt-builds",
      kanikoImage: KANIKO,
      timeoutSeconds: 900,
      clusterLimit: 4,
      userLimit: 2,
      tolerations: [],
      registryInsecure: false,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("refuses a Kaniko image that is not pinned by digest, and reports every bad key at once", () => {
    expect(() =>
      loadKanikoJobConfig({
        ...base,
        KLI8NT_KANIKO_IMAGE: "ghcr.io/osscontainertools/kaniko:latest",
        KLI8NT_BUILD_CPU: "lots",
      }),
    ).toThrow(/KLI8NT_KANIKO_IMAGE: an image pinned by digest[\s\S]*KLI8NT_BUILD_CPU: a Kubernetes quantity/);
  });

  it("parses node selector and tolerations for dedicated build nodes", () => {
    const config = loadKanikoJobConfig({
      ...base,
      KLI8NT_BUILD_NODE_SELECTOR: '{"pool":"builds"}',
      KLI8NT_BUILD_TOLERATIONS: '[{"key":"builds","operator":"Exists","effect":"NoSchedule"}]',
    });
    expect(config.nodeSelector).toEqual({ pool: "builds" });
    expect(config.tolerations).toEqual([{ key: "builds", operator: "Exists", effect: "NoSchedule" }]);
    expect(() =>
      loadKanikoJobConfig({ ...base, KLI8NT_BUILD_TOLERATIONS: '[{"operator":"Maybe"}]' }),
    ).toThrow(/KLI8NT_BUILD_TOLERATIONS must be a JSON array of tolerations/);
  });

  it("reads the package registries and the CA ConfigMap, and refuses a CA file the build pods cannot see", () => {
    const config = loadKanikoJobConfig({
      ...base,
      KLI8NT_NPM_REGISTRY: "https://npm.corp.example/",
      KLI8NT_GOPROXY: "https://go.corp.example",
      KLI8NT_BUILD_CA_CONFIGMAP: "corp-ca/bundle.pem",
    });
    expect(config.packageRegistries).toEqual({
      npmRegistry: "https://npm.corp.example/",
      goProxy: "https://go.corp.example",
    });
    expect(config.caConfigMap).toEqual({ name: "corp-ca", key: "bundle.pem" });
    expect(loadKanikoJobConfig(base)).toMatchObject({ packageRegistries: {}, caConfigMap: undefined });
    expect(() =>
      loadKanikoJobConfig({
        ...base,
        KLI8NT_BUILD_CA_FILE: "/etc/ssl/certs/ca-certificates.crt",
        KLI8NT_NPM_REGISTRY: "not a url",
        KLI8NT_BUILD_CA_CONFIGMAP: "Corp CA",
      }),
    ).toThrow(
      /KLI8NT_NPM_REGISTRY[\s\S]*KLI8NT_BUILD_CA_CONFIGMAP[\s\S]*KLI8NT_BUILD_CA_FILE: a file of the controller/,
    );
  });
});
