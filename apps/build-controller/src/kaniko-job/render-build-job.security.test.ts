import type { BuildRequested } from "@kli8nt/core";
import { describe, expect, it } from "vitest";
import { buildNames } from "./build-names.ts";
import { loadKanikoJobConfig } from "./config.ts";
import { buildLabels, KANIKO_CAPABILITIES, renderBuildJob } from "./render-build-job.ts";

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
