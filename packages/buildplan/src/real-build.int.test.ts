import { join } from "node:path";
import { failUnderCi } from "@kli8nt/testkit";
import { describe, expect, it } from "vitest";
import { buildImage, type ContainerEnv, prepareContext, runImage, waitForHttp } from "./testing/index.ts";

// Real builds: rendered Dockerfiles built by buildah against local base images (scripts/infra/containers.sh),
// run by podman, answering HTTP 200 on $PORT.
const env = process.env;
const ready = env.KLI8NT_TEST_CONTAINERS === "1" && env.KLI8NT_TEST_BASE_IMAGES !== undefined;
failUnderCi(
  !ready,
  "KLI8NT_TEST_CONTAINERS/KLI8NT_TEST_BASE_IMAGES missing: run start_containers (scripts/infra/containers.sh)",
);

const containerEnv = (): ContainerEnv => ({
  baseImages: JSON.parse(env.KLI8NT_TEST_BASE_IMAGES ?? "{}") as Record<string, string>,
  npmRegistry: env.KLI8NT_TEST_NPM_REGISTRY ?? "https://registry.npmjs.org/",
  caFile: env.KLI8NT_TEST_CA_FILE ?? "/etc/ssl/certs/ca-certificates.crt",
});

const samples = join(import.meta.dirname, "..", "fixtures");

async function buildAndServe(sample: string, path = "/") {
  const cenv = containerEnv();
  const ctx = await prepareContext(join(samples, sample), cenv);
  try {
    const tag = `localhost/kli8nt-test/${sample}:latest`;
    await buildImage(ctx, tag, cenv);
    const container = await runImage(tag);
    try {
      const res = await waitForHttp(`${container.url}${path}`, 30_000).catch(async (err: Error) => {
        throw new Error(`${err.message}\ncontainer logs:\n${await container.logs()}`, { cause: err });
      });
      return { plan: ctx.plan, ...res };
    } finally {
      await container.stop();
    }
  } finally {
    await ctx.cleanup();
  }
}

describe.skipIf(!ready)("real builds with buildah + podman", { timeout: 600_000 }, () => {
  it("Node (npm) server: npm ci with the host registry and CA, build script, start script", async () => {
    const r = await buildAndServe("sample-node-server");
    expect(r.plan).toMatchObject({ provider: "node", packageManager: "npm" });
    expect(r.status).toBe(200);
    expect(r.body).toBe("hello from node: built by npm run build in 1s\n");
  });

  it("Node without lockfile or dependencies: npm install, empty node_modules still copies", async () => {
    const r = await buildAndServe("sample-node-nodeps");
    expect(r.plan.install).toEqual(["npm install"]);
    expect(r.status).toBe(200);
    expect(r.body).toBe("no dependencies\n");
  });

  it("Vite SPA: vite build, Caddy serves dist with index fallback", async () => {
    const r = await buildAndServe("sample-vite-spa", "/some/client/route");
    expect(r.plan).toMatchObject({ provider: "static", framework: "vite", staticOutputDir: "dist" });
    expect(r.status).toBe(200);
    expect(r.body).toContain('<div id="app"></div>');
    expect(r.body).toMatch(/src="\/assets\/index-[\w-]+\.js"/);
  });

  it("plain static HTML: Caddy only, files from the repository root", async () => {
    const r = await buildAndServe("g06-static-html", "/style.css");
    expect(r.plan).toMatchObject({ provider: "static", staticOutputDir: "." });
    expect(r.status).toBe(200);
    expect(r.body).toContain("h1 { color: red }");
  });

  it("Python Flask: pip in a venv, gunicorn on $PORT", async () => {
    const r = await buildAndServe("sample-flask");
    expect(r.plan).toMatchObject({ provider: "python", framework: "flask" });
    expect(r.status).toBe(200);
    expect(r.body).toBe("hello from flask\n");
  });

  it("Go: static binary on a minimal runtime image", async () => {
    const r = await buildAndServe("sample-go");
    expect(r.plan.provider).toBe("go");
    expect(r.status).toBe(200);
    expect(r.body).toBe("hello from go\n");
  });
});
