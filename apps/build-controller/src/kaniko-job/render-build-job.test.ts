import type { BuildRequested } from "@kli8nt/core";
import { describe, expect, it } from "vitest";
import { buildNames } from "./build-names.ts";
import { loadKanikoJobConfig } from "./config.ts";
import { buildLabels, renderBuildJob } from "./render-build-job.ts";

const message: BuildRequested = {
  type: "BuildRequested",
  version: 1,
  deploymentId: "dep_1",
  appId: "app_1",
  appName: "shop",
  repository: { url: "https://github.com/acme/shop.git", ref: "main", commitSha: null, rootDir: "" },
  requestedAt: "2026-12-03T00:00:00.000Z",
};

function kanikoArgs(insecure: "true" | "false"): string[] {
  const config = loadKanikoJobConfig({
    KLI8NT_KANIKO_IMAGE: `ghcr.io/osscontainertools/kaniko@sha256:${"a".repeat(64)}`,
    KLI8NT_PREPARE_IMAGE: "ghcr.io/kli8nt/kli8nt:0.1.0",
    KLI8NT_REGISTRY: "registry.kli8nt.svc:5000/kli8nt",
    KLI8NT_REGISTRY_INSECURE: insecure,
  });
  const names = buildNames(message.deploymentId, message.appName, config.registry);
  const job = renderBuildJob(message, names, buildLabels(message, "u"), config);
  return job.spec?.template.spec?.containers[0]?.args ?? [];
}

describe("renderBuildJob: a registry without verified TLS", () => {
  it("is named per host, so pulls of base images mirrored there go without TLS too, not only pushes", () => {
    const args = kanikoArgs("true");
    expect(args).toContain("--insecure-registry=registry.kli8nt.svc:5000");
    expect(args).toContain("--skip-tls-verify-registry=registry.kli8nt.svc:5000");
    expect(args.filter((a) => a === "--insecure" || a === "--skip-tls-verify")).toEqual([]);
  });

  it("logs plain text (the log tail becomes the failure reason), and leaves TLS verification on by default", () => {
    expect(kanikoArgs("false")).toContain("--log-format=text");
    expect(kanikoArgs("false").filter((a) => /insecure|skip-tls/.test(a))).toEqual([]);
  });
});

describe("renderBuildJob: package registries and an extra CA, as on one machine", () => {
  const KANIKO = `ghcr.io/osscontainertools/kaniko@sha256:${"a".repeat(64)}`;
  function job(extra: Record<string, string>) {
    const config = loadKanikoJobConfig({
      KLI8NT_KANIKO_IMAGE: KANIKO,
      KLI8NT_PREPARE_IMAGE: "ghcr.io/kli8nt/kli8nt:0.1.0",
      ...extra,
    });
    const names = buildNames(message.deploymentId, message.appName, config.registry);
    const spec = renderBuildJob(message, names, buildLabels(message, "u"), config).spec?.template.spec;
    if (!spec) throw new Error("no pod template");
    const prepare = spec.initContainers?.[0];
    const kaniko = spec.containers[0];
    const env = Object.fromEntries((prepare?.env ?? []).map((e) => [e.name, e.value]));
    return { spec, prepare, kaniko, env };
  }

  it("hands the registries to the prepare step and mounts the CA key read-only at /run/build-ca.crt in both steps", () => {
    const { spec, prepare, kaniko, env } = job({
      KLI8NT_NPM_REGISTRY: "https://npm.corp.example/",
      KLI8NT_PIP_INDEX_URL: "https://pypi.corp.example/simple",
      KLI8NT_GOPROXY: "https://go.corp.example,direct",
      KLI8NT_BUILD_CA_CONFIGMAP: "corp-ca/bundle.pem",
    });
    expect(env).toMatchObject({
      KLI8NT_NPM_REGISTRY: "https://npm.corp.example/",
      KLI8NT_PIP_INDEX_URL: "https://pypi.corp.example/simple",
      KLI8NT_GOPROXY: "https://go.corp.example,direct",
      KLI8NT_BUILD_CA_PATH: "/run/build-ca.crt",
    });
    const caMount = {
      name: "build-ca",
      mountPath: "/run/build-ca.crt",
      subPath: "bundle.pem",
      readOnly: true,
    };
    expect(kaniko?.volumeMounts).toContainEqual(caMount);
    // The prepare step's clone trusts it too (ADR 0125), at a path of its own: KLI8NT_BUILD_CA_PATH is
    // where RUN steps find it, rendered into the Dockerfile.
    const cloneCa = "/var/run/kli8nt/clone-ca.crt";
    expect(prepare?.volumeMounts).toContainEqual({ ...caMount, mountPath: cloneCa });
    expect(env).toMatchObject({ KLI8NT_CLONE_CA_FILE: cloneCa });
    // Never over an image's own bundle.
    expect(JSON.stringify([kaniko?.volumeMounts, prepare?.volumeMounts])).not.toContain("/etc/ssl");
    expect(spec.volumes).toContainEqual({
      name: "build-ca",
      configMap: { name: "corp-ca", defaultMode: 0o444 },
    });
    // Locations reach the build as ARG defaults and build arguments, never Kaniko's own environment. Its
    // environment only gains its own trust (ADR 0125): the CA as a directory after the image's.
    expect(kaniko?.env).toEqual([
      { name: "DOCKER_CONFIG", value: "/kaniko/.docker" },
      { name: "SSL_CERT_DIR", value: "/kaniko/ssl/certs:/kaniko/build-ca" },
    ]);
    expect(kaniko?.volumeMounts).toContainEqual({ ...caMount, mountPath: "/kaniko/build-ca/ca.crt" });
    // A repository's own Dockerfile renders nothing: the build arguments are what reach its ARGs.
    expect(kaniko?.args).toEqual(
      expect.arrayContaining([
        "--build-arg=NPM_CONFIG_REGISTRY=https://npm.corp.example/",
        "--build-arg=PIP_INDEX_URL=https://pypi.corp.example/simple",
        "--build-arg=GOPROXY=https://go.corp.example,direct",
        "--build-arg=NPM_CONFIG_CAFILE=/run/build-ca.crt",
        "--build-arg=SSL_CERT_FILE=/run/build-ca.crt",
      ]),
    );
  });

  it("sets nothing when none are configured (empty values, as the chart passes them, count as unset)", () => {
    const { spec, kaniko, env } = job({ KLI8NT_NPM_REGISTRY: "", KLI8NT_BUILD_CA_CONFIGMAP: "" });
    expect(Object.keys(env).filter((k) => /REGISTRY$|INDEX_URL|GOPROXY|CA_PATH/.test(k))).toEqual([]);
    expect(kaniko?.volumeMounts?.map((m) => m.name)).toEqual(["workspace"]);
    expect(kaniko?.args?.filter((a) => a.startsWith("--build-arg"))).toEqual([]);
    expect(spec.volumes?.map((v) => v.name)).toEqual(["workspace", "git-token"]);
  });

  it("takes ca.crt when the ConfigMap's key is not named", () => {
    const { kaniko } = job({ KLI8NT_BUILD_CA_CONFIGMAP: "trust-bundle" });
    expect(kaniko?.volumeMounts).toContainEqual(expect.objectContaining({ subPath: "ca.crt" }));
  });
});
