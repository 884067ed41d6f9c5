import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { eventually, failUnderCi, freePort } from "@kli8nt/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The image the Helm chart runs (deploy/image/Containerfile, ADR 0117), built for real with buildah and
// run with podman: the api serves, the UI is inside, every controller bundle loads.
const run = promisify(execFile);
const env = process.env;
const ready = env.KLI8NT_TEST_CONTAINERS === "1" && env.KLI8NT_TEST_BASE_IMAGES !== undefined;
failUnderCi(
  !ready,
  "KLI8NT_TEST_CONTAINERS/KLI8NT_TEST_BASE_IMAGES missing: run start_containers (scripts/infra/containers.sh)",
);

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const IMAGE = "localhost/kli8nt/platform:test";
const CONTAINER = `kli8nt-platform-test-${process.pid}`;

/** Runs a command in the image; resolves with its exit code and output whatever the code. */
async function inImage(args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run("podman", ["run", "--rm", IMAGE, ...args], { timeout: 60_000 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

describe.skipIf(!ready)("the platform image", () => {
  let port = 0;

  beforeAll(async () => {
    const baseImages = JSON.parse(env.KLI8NT_TEST_BASE_IMAGES ?? "{}") as Record<string, string>;
    const args = ["bud", "--isolation", "chroot", "--layers", "-q", "-f", "deploy/image/Containerfile"];
    args.push("--build-arg", `NODE_IMAGE=${baseImages.node}`);
    if (env.KLI8NT_TEST_NPM_REGISTRY)
      args.push("--build-arg", `NPM_CONFIG_REGISTRY=${env.KLI8NT_TEST_NPM_REGISTRY}`);
    if (env.KLI8NT_TEST_CA_FILE) args.push("--secret", `id=ca,src=${env.KLI8NT_TEST_CA_FILE}`);
    await run("buildah", [...args, "-t", IMAGE, "."], { cwd: ROOT, timeout: 900_000, maxBuffer: 64 << 20 });
    port = await freePort();
    await run("podman", ["run", "-d", "--name", CONTAINER, "-p", `127.0.0.1:${port}:8080`, IMAGE]);
  }, 960_000);

  afterAll(async () => {
    await run("podman", ["rm", "-f", CONTAINER]).catch(() => undefined);
  });

  it("runs as a non-root user and keeps no build secret or registry setting", async () => {
    const { stdout } = await run("podman", ["image", "inspect", "--format", "{{json .Config}}", IMAGE]);
    const config = JSON.parse(stdout) as { User?: string; Env?: string[] };
    expect(config.User).toBe("1000:1000");
    expect((config.Env ?? []).join("\n")).not.toMatch(/NPM_CONFIG|CAFILE|TOKEN|SECRET/i);
    const secret = await inImage(["sh", "-c", "ls /run/secrets 2>/dev/null | wc -l"]);
    expect(secret.output.trim()).toBe("0");
  });

  it("serves the api (database migrated) and the built UI", async () => {
    const status = await eventually(
      "the api in the image to be ready",
      async () => ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok ? 200 : undefined),
      60_000,
    );
    expect(status).toBe(200);
    const page = await fetch(`http://127.0.0.1:${port}/apps/shop`, { headers: { accept: "text/html" } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<title>Kli8nt</title>");
    const openapi = await fetch(`http://127.0.0.1:${port}/api/openapi.json`);
    expect(openapi.status).toBe(200);
  });

  it("holds every controller bundle, each loading until its configuration check", async () => {
    for (const name of ["build-controller", "deploy-controller", "log-controller"]) {
      const { code, output } = await inImage(["node", `/app/dist/${name}.mjs`]);
      expect(code, `${name}: ${output}`).not.toBe(0);
      expect(output, name).toMatch(/KLI8NT_[A-Z_]+/);
      expect(output, name).not.toMatch(/Cannot find (module|package)|ERR_MODULE/);
    }
  });

  it("has git for the build Job's prepare step", async () => {
    const { code, output } = await inImage(["git", "--version"]);
    expect(code, output).toBe(0);
    expect(output).toMatch(/^git version \d/);
  });
});
