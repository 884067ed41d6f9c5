import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { failUnderCi } from "@kli8nt/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { prepareBuild } from "../prepare-build.ts";
import { createLocalRepo } from "../testing/local-repo.ts";
import { buildahImageBuild } from "./buildah-builder.ts";

// Real buildah against the local base images of scripts/infra/containers.sh: a repository Dockerfile wins,
// a failing RUN gives its error line as the reason, a timeout kills the build.
const env = process.env;
const ready = env.KLI8NT_TEST_CONTAINERS === "1";
failUnderCi(!ready, "KLI8NT_TEST_CONTAINERS missing: run start_containers (scripts/infra/containers.sh)");
const BASE = "localhost/kli8nt/debian:bookworm";
const PREFIX = "localhost/kli8nt-test-bc";
const builder = buildahImageBuild({ registry: {}, imagePrefix: PREFIX });
const lines: string[] = [];

async function buildRepo(dockerfile: string, timeoutMs = 120_000) {
  const repo = createLocalRepo({ Dockerfile: dockerfile, "hello.txt": "hi\n" });
  const scratch = mkdtempSync(join(tmpdir(), "kli8nt-bc-scratch-"));
  const prepared = await prepareBuild(repo.dir, scratch, ".", {});
  return builder.build({
    deploymentId: `dep_${Date.now().toString(36)}`,
    appId: "app_test",
    appName: "buildah-test",
    ...prepared,
    scratchDir: scratch,
    timeoutMs,
    onLine: (_stream, line) => void lines.push(line),
  });
}

describe.skipIf(!ready)("buildah builder", { timeout: 180_000 }, () => {
  afterAll(() => {
    const images = execFileSync("podman", ["images", "--format", "{{.Repository}}:{{.Tag}}"], {
      encoding: "utf8",
    });
    for (const ref of images.split("\n").filter((r) => r.startsWith(PREFIX))) {
      execFileSync("podman", ["rmi", "-f", ref]);
    }
  });

  it("builds the repository's own Dockerfile and reports the image id, not a tag", async () => {
    const out = await buildRepo(`FROM ${BASE}\nCOPY hello.txt /hello.txt\nCMD ["cat", "/hello.txt"]\n`);
    expect(out.image).toMatch(/^[0-9a-f]{64}$/);
    expect(execFileSync("podman", ["run", "--rm", out.image], { encoding: "utf8" })).toBe("hi\n");
    expect(lines.some((l) => l.includes("COPY hello.txt"))).toBe(true);
  });

  it("fails with the builder's error line when a RUN step fails", async () => {
    await expect(buildRepo(`FROM ${BASE}\nRUN echo compiling && exit 3\n`)).rejects.toMatchObject({
      code: "BUILD_FAILED",
      message: expect.stringMatching(/^The build failed: .*exit status 3/),
    });
  });

  it("stops a build that runs past its timeout", async () => {
    const started = Date.now();
    await expect(buildRepo(`FROM ${BASE}\nRUN sleep 60\n`, 4000)).rejects.toMatchObject({
      code: "BUILD_TIMEOUT",
    });
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  // ADR 0136: a RUN step must not reach what listens on the host's loopback (the api, the internal port,
  // other apps' published ports). The real registry-using builds (real-build*.int.test.ts) show the
  // network itself still works.
  it("gives RUN steps no route to the host's loopback", async () => {
    const hits: string[] = [];
    const server = createServer((req, res) => {
      hits.push(req.url ?? "");
      res.end("reached");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    try {
      const probe = `require("http").get("http://127.0.0.1:${port}/from-build", () => console.log("REACHED")).on("error", (e) => console.log("no route to host loopback: " + e.code))`;
      const out = await buildRepo(
        `FROM localhost/kli8nt/node:20\nRUN ${JSON.stringify(["node", "-e", probe])}\n`,
      );
      expect(out.image).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      await new Promise((r) => server.close(r));
    }
    expect(hits).toEqual([]);
    expect(lines.some((l) => l.startsWith("no route to host loopback"))).toBe(true);
    expect(lines).not.toContain("REACHED");
  });

  it("still reaches the npm registry from a RUN step, with the registry and CA from platform config", async () => {
    const registry = env.KLI8NT_TEST_NPM_REGISTRY ?? "https://registry.npmjs.org/";
    const withRegistry = buildahImageBuild({
      registry: { npmRegistry: registry },
      caFile: env.KLI8NT_TEST_CA_FILE ?? "/etc/ssl/certs/ca-certificates.crt",
      imagePrefix: PREFIX,
    });
    const repo = createLocalRepo({
      Dockerfile:
        "FROM localhost/kli8nt/node:20\nARG NPM_CONFIG_REGISTRY\nARG NPM_CONFIG_CAFILE\nRUN npm view is-number version\n",
    });
    const scratch = mkdtempSync(join(tmpdir(), "kli8nt-bc-scratch-"));
    const prepared = await prepareBuild(repo.dir, scratch, ".", {});
    const out = await withRegistry.build({
      deploymentId: `dep_npm${Date.now().toString(36)}`,
      appId: "app_test",
      appName: "buildah-test",
      ...prepared,
      scratchDir: scratch,
      timeoutMs: 120_000,
      onLine: (_stream, line) => void lines.push(line),
    });
    expect(out.image).toMatch(/^[0-9a-f]{64}$/);
    expect(lines).toContain("7.0.0");
  });
});
