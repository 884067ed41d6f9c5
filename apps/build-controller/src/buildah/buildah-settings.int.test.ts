import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { failUnderCi } from "@kli8nt/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { prepareBuild } from "../prepare-build.ts";
import { createLocalRepo } from "../testing/local-repo.ts";
import { buildahImageBuild } from "./buildah-builder.ts";

// Real buildah (issue 26, ADRs 0156/0157): the settings' Containerfile path and --target stage, build args
// for plain build-time variables, and build secrets that a RUN step reads and no layer keeps.
const env = process.env;
const ready = env.KLI8NT_TEST_CONTAINERS === "1";
failUnderCi(!ready, "KLI8NT_TEST_CONTAINERS missing: run start_containers (scripts/infra/containers.sh)");
const BASE = "localhost/kli8nt/debian:bookworm";
const PREFIX = "localhost/kli8nt-test-settings";
const SECRET = "s3cr3t-build-value-42";
const SECRET_SHA = createHash("sha256").update(SECRET).digest("hex");
const builder = buildahImageBuild({ registry: {}, imagePrefix: PREFIX });

const CONTAINERFILE = [
  `FROM ${BASE} AS base`,
  "ARG GREETING",
  'RUN echo "greeting=$GREETING" > /greeting.txt',
  // Compared by hash: the RUN line itself is in the image history, so it must not hold the value.
  `RUN --mount=type=secret,id=API_KEY test "$(sha256sum < /run/secrets/API_KEY | cut -d' ' -f1)" = "${SECRET_SHA}" && echo seen > /secret-seen`,
  'CMD ["cat", "/greeting.txt"]',
  "",
  "FROM base AS debug",
  'CMD ["echo", "debug stage"]',
  "",
].join("\n");

const podman = (...args: string[]) => execFileSync("podman", args, { encoding: "utf8" });

describe.skipIf(!ready)("buildah with app settings and build-time variables", { timeout: 300_000 }, () => {
  afterAll(() => {
    for (const ref of podman("images", "--format", "{{.Repository}}:{{.Tag}}").split("\n")) {
      if (ref.startsWith(PREFIX)) podman("rmi", "-f", ref);
    }
  });

  it("builds the target stage of the settings' Containerfile with build args and secrets", async () => {
    const repo = createLocalRepo({ "ops/Containerfile": CONTAINERFILE, "a.txt": "x" });
    const scratch = mkdtempSync(join(tmpdir(), "kli8nt-settings-scratch-"));
    const prepared = await prepareBuild(repo.dir, scratch, ".", {}, undefined, {
      dockerfilePath: "ops/Containerfile",
    });
    const out = await builder.build({
      deploymentId: `dep_${Date.now().toString(36)}`,
      appId: "app_settings",
      appName: "settings-test",
      ...prepared,
      target: "base",
      buildArgs: { GREETING: "hello from a build arg" },
      buildSecrets: { API_KEY: SECRET },
      scratchDir: scratch,
      timeoutMs: 240_000,
      onLine: () => undefined,
    });
    // The target stage's CMD, not the last stage's; the build arg reached RUN; the secret was readable.
    expect(podman("run", "--rm", out.image)).toBe("greeting=hello from a build arg\n");
    expect(podman("run", "--rm", out.image, "cat", "/secret-seen")).toBe("seen\n");
    // ...and is in no history entry and no layer of the saved image.
    expect(podman("history", "--no-trunc", out.image)).not.toContain(SECRET);
    const saved = join(scratch, "image.tar");
    podman("save", "-o", saved, out.image);
    expect(
      execFileSync("sh", ["-c", `tar -xOf ${saved} | grep -c "${SECRET}" || true`], {
        encoding: "utf8",
      }).trim(),
    ).toBe("0");
    // The secret file lived in the scratch directory, outside the build context.
    expect(readdirSync(join(scratch, "build-secrets"))).toEqual(["API_KEY"]);
  });
});
