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
