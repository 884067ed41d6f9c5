import { afterEach, describe, expect, it } from "vitest";
import { detect } from "./detect.ts";
import { render } from "./render/render.ts";
import { makeRepo, removeRepo } from "./test-repo.ts";

const made: string[] = [];
async function plan(files: Record<string, string>) {
  const dir = await makeRepo(files);
  made.push(dir);
  return detect(dir);
}
afterEach(async () => {
  await Promise.all(made.splice(0).map(removeRepo));
});

describe("rule: Node native addons", () => {
  it("bcrypt brings node-gyp's toolchain to the deps stage only", async () => {
    const p = await plan({
      "package.json": JSON.stringify({
        dependencies: { bcrypt: "5.1.1", express: "4" },
        scripts: { start: "node a.js" },
      }),
    });
    expect(p.systemPackages).toEqual({ build: ["g++", "make", "python3"], runtime: [] });
    // Node's own headers, not a download from nodejs.org.
    expect(p.install.at(-1)).toMatch(/export npm_config_nodedir="\$d"; fi; npm install$/);
    const lines = render(p).dockerfile.split("\n");
    const apt = lines.findIndex((l) => l.startsWith("RUN apt-get") && l.includes("g++ make python3"));
    expect(apt).toBe(lines.indexOf("FROM node:22-slim AS deps") + 1);
    expect(lines.filter((l) => l.startsWith("RUN apt-get"))).toHaveLength(1);
  });

  it("canvas adds its shared libraries to the runtime stage; sharp needs nothing", async () => {
    const canvas = await plan({ "package.json": JSON.stringify({ dependencies: { canvas: "2" } }) });
    expect(canvas.systemPackages.runtime).toContain("libcairo2");
    const runtime = render(canvas).dockerfile.split("FROM node:22-slim AS runtime")[1] ?? "";
    expect(runtime).toMatch(/apt-get install -y --no-install-recommends .*libcairo2/);
    const sharp = await plan({ "package.json": JSON.stringify({ dependencies: { sharp: "0.33" } }) });
    expect(sharp.systemPackages).toEqual({ build: [], runtime: [] });
  });
});

describe("rule: Deno", () => {
  it("keeps its module cache in /app, so the runtime stage holds what `deno cache` fetched", async () => {
    const p = await plan({
      "deno.json": JSON.stringify({ tasks: { start: "deno run main.ts" } }),
      "main.ts": "",
    });
    expect(p).toMatchObject({
      provider: "deno",
      build: ["deno cache main.ts"],
      env: { DENO_DIR: "/app/.deno" },
    });
    const docker = render(p).dockerfile;
    expect(docker.split("FROM deps AS build")[0]).toContain('ENV DENO_DIR="/app/.deno"');
  });
});
