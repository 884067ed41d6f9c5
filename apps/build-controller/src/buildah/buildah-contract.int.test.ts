import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { failUnderCi } from "@kli8nt/testkit";
import { describe } from "vitest";
import { runBuilderContract } from "../builder-contract.ts";
import { localBuilder } from "../local-builder.ts";
import { createLocalRepo } from "../testing/local-repo.ts";
import { buildahImageBuild } from "./buildah-builder.ts";

// Real buildah (scripts/infra/containers.sh): rendered Node builds on the local base images, a repository
// Dockerfile for build args and secrets.
const env = process.env;
const ready = env.KLI8NT_TEST_CONTAINERS === "1" && env.KLI8NT_TEST_BASE_IMAGES !== undefined;
failUnderCi(!ready, "KLI8NT_TEST_CONTAINERS/KLI8NT_TEST_BASE_IMAGES missing: run start_containers");
const baseImages = JSON.parse(env.KLI8NT_TEST_BASE_IMAGES ?? "{}") as Record<string, string>;
const PREFIX = "localhost/kli8nt-test-contract";
const podman = (...args: string[]) => execFileSync("podman", args, { encoding: "utf8" });

describe.skipIf(!ready)("buildah", () => {
  runBuilderContract(
    "buildah",
    async () => {
      const work = mkdtempSync(join(tmpdir(), "kli8nt-buildah-contract-"));
      const builder = localBuilder(buildahImageBuild({ registry: {}, imagePrefix: PREFIX }), {
        workRoot: join(work, "builds"),
        allowLocalRepos: true,
        cloneTimeoutMs: 30_000,
        baseImages,
      });
      return {
        builder,
        repository: async (files) => {
          const repo = createLocalRepo(files);
          return {
            repository: { url: repo.dir, ref: "main", commitSha: null, rootDir: "" },
            head: repo.head,
          };
        },
        imageExists: async (image) => {
          try {
            podman("image", "exists", image);
            return true;
          } catch {
            return false;
          }
        },
        stopWithinMs: 15_000,
        dispose: async () => {
          for (const ref of podman("images", "--format", "{{.Repository}}:{{.Tag}}").split("\n")) {
            if (ref.startsWith(PREFIX)) podman("rmi", "-f", ref);
          }
          rmSync(work, { recursive: true, force: true });
        },
      };
    },
    { buildVarsBaseImage: baseImages.debian },
  );
});
