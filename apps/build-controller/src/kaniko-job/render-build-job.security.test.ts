import type { BuildRequested } from "@kli8nt/core";
import { describe, expect, it } from "vitest";
import { buildNames } from "./build-names.ts";
import { loadKanikoJobConfig } from "./config.ts";
import {
  buildLabels,
  KANIKO_CAPABILITIES,
  REGISTRY_CONFIG_KEY,
  renderBuildJob,
  renderTokenSecret,
} from "./render-build-job.ts";

// Build pods run tenant code (RUN steps) as root: the Job must ask the runtime for as little as Kaniko
// can work with (docs/adr/0140).
const message: BuildRequested = {
  type: "BuildRequested",
  version: 1,
  deploymentId: "dep_1",
  appId: "app_1",
  appName: "shop",
  repository: { url: "https://github.com/acme/shop.git", ref: "main", commitSha: null, rootDir: "" },
  requestedAt: "2026-12-04T00:00:00.000Z",
};

function podSpec(extra: Record<string, string> = {}) {
  const config = loadKanikoJobConfig({
    KLI8NT_KANIKO_IMAGE: `ghcr.io/osscontainertools/kaniko@sha256:${"a".repeat(64)}`,
    KLI8NT_PREPARE_IMAGE: "ghcr.io/kli8nt/kli8nt:0.1.0",
    ...extra,
  });
  const names = buildNames(message.deploymentId, message.appName, config.registry);
  const spec = renderBuildJob(message, names, buildLabels(message, "u"), config).spec?.template.spec;
  if (!spec) throw new Error("no pod template");
  return spec;
}

describe("renderBuildJob: the build pod's privileges", () => {
  it("runs Kaniko with RuntimeDefault seccomp, no privilege escalation and only the capabilities it needs", () => {
    const kaniko = podSpec().containers[0];
    expect(kaniko?.securityContext).toEqual({
      runAsUser: 0,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ["ALL"], add: KANIKO_CAPABILITIES },
      seccompProfile: { type: "RuntimeDefault" },
    });
    // Nothing that opens raw sockets, devices or the kernel's admin interfaces.
    for (const cap of ["NET_RAW", "MKNOD", "SYS_ADMIN", "SYS_CHROOT", "NET_ADMIN", "SYS_PTRACE"]) {
      expect(KANIKO_CAPABILITIES).not.toContain(cap);
    }
  });

  it("runs the prepare step non-root with no capabilities and RuntimeDefault seccomp", () => {
    expect(podSpec().initContainers?.[0]?.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 1000,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
  });

  it("names a RuntimeClass (gVisor, Kata) only when configured", () => {
    expect(podSpec().runtimeClassName).toBeUndefined();
    expect(podSpec({ KLI8NT_BUILD_RUNTIME_CLASS: "" }).runtimeClassName).toBeUndefined();
    expect(podSpec({ KLI8NT_BUILD_RUNTIME_CLASS: "gvisor" }).runtimeClassName).toBe("gvisor");
    expect(() => podSpec({ KLI8NT_BUILD_RUNTIME_CLASS: "Not A Name" })).toThrow(
      /KLI8NT_BUILD_RUNTIME_CLASS: a RuntimeClass name/,
    );
  });
});

describe("renderBuildJob: per-build registry credentials (docs/adr/0140)", () => {
  function rendered(perBuildRegistryToken: boolean) {
    const config = loadKanikoJobConfig({
      KLI8NT_KANIKO_IMAGE: `ghcr.io/osscontainertools/kaniko@sha256:${"a".repeat(64)}`,
      KLI8NT_PREPARE_IMAGE: "ghcr.io/kli8nt/kli8nt:0.1.0",
      KLI8NT_REGISTRY_SECRET: "registry-push",
    });
    const names = buildNames(message.deploymentId, message.appName, config.registry);
    const settings = { ...config, perBuildRegistryToken };
    const spec = renderBuildJob(message, names, buildLabels(message, "u"), settings).spec?.template.spec;
    const secret = renderTokenSecret(names, {}, settings, "clone-token", '{"auths":{}}');
    return { names, spec, secret };
  }

  it("mounts Kaniko's Docker config from the per-build Secret, not the shared push Secret", () => {
    const { names, spec, secret } = rendered(true);
    const registry = spec?.volumes?.find((v) => v.name === "registry");
    expect(registry?.secret).toEqual({
      secretName: names.secret,
      items: [{ key: REGISTRY_CONFIG_KEY, path: "config.json" }],
    });
    expect(JSON.stringify(spec)).not.toContain("registry-push");
    expect(secret.stringData).toEqual({ token: "clone-token", [REGISTRY_CONFIG_KEY]: '{"auths":{}}' });
    // The prepare step sees the clone token only, Kaniko the registry config only.
    const gitToken = spec?.volumes?.find((v) => v.name === "git-token");
    expect(gitToken?.secret?.items).toEqual([{ key: "token", path: "token" }]);
    expect(spec?.initContainers?.[0]?.volumeMounts?.map((m) => m.name)).not.toContain("registry");
    expect(spec?.containers[0]?.volumeMounts?.map((m) => m.name)).not.toContain("git-token");
  });

  it("keeps the shared push Secret when per-build tokens are not configured", () => {
    const { spec } = rendered(false);
    expect(spec?.volumes?.find((v) => v.name === "registry")?.secret?.secretName).toBe("registry-push");
  });

  it("requires the token key and certificate together", () => {
    expect(() =>
      loadKanikoJobConfig({
        KLI8NT_KANIKO_IMAGE: `ghcr.io/osscontainertools/kaniko@sha256:${"a".repeat(64)}`,
        KLI8NT_PREPARE_IMAGE: "ghcr.io/kli8nt/kli8nt:0.1.0",
        KLI8NT_REGISTRY_TOKEN_KEY_FILE: "/var/run/kli8nt/registry-token/tls.key",
      }),
    ).toThrow(/set both KLI8NT_REGISTRY_TOKEN_KEY_FILE and KLI8NT_REGISTRY_TOKEN_CERT_FILE/);
  });
});
