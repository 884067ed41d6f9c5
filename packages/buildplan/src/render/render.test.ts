import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { detect } from "../detect.ts";
import { BuildPlanError } from "../errors.ts";
import { BUILD_CA_PATH, registryBuildArgs } from "./registry-args.ts";
import { render } from "./render.ts";

const root = join(import.meta.dirname, "..", "..", "fixtures");
const ids = readdirSync(root)
  .filter((id) => id !== "g20-dockerfile")
  .sort();

/** The lines of the last stage (the image that runs). */
const lastStage = (dockerfile: string) => dockerfile.slice(dockerfile.lastIndexOf("\nFROM ")).split("\n");

describe("render: Dockerfile shape for every corpus fixture", () => {
  it.each(ids)("%s", async (id) => {
    const plan = await detect(join(root, id));
    const { dockerfile, dockerignore } = render(plan);
    const lines = dockerfile.split("\n");
    expect(dockerfile).not.toMatch(/--mount|<<\s*EOF/);
    expect(lines.filter((l) => l.startsWith("FROM ")).length).toBeGreaterThanOrEqual(
      plan.install.length > 0 ? 2 : 1,
    );
    const final = lastStage(dockerfile);
    expect(final.find((l) => l.startsWith("USER "))).toMatch(/^USER [1-9]\d*:[1-9]\d*$/);
    if (plan.port !== null) {
      expect(final).toContain(`ENV PORT=${plan.port}`);
      expect(final).toContain(`EXPOSE ${plan.port}`);
    }
    expect(final.some((l) => l.startsWith("CMD "))).toBe(true);
    // Dependency layer first: manifests and install come before the first full-source COPY.
    const source = lines.findLastIndex((l) => l === "COPY . ." || l === "COPY --from=assets /app/ ./");
    for (const cmd of plan.install) expect(lines.indexOf(`RUN ${cmd}`)).toBeLessThan(source);
    for (const m of plan.manifests.filter((f) => !f.startsWith("."))) {
      const copy = lines.findIndex((l) => l.startsWith("COPY [") && l.includes(JSON.stringify(m)));
      expect(copy, m).toBeGreaterThan(-1);
      expect(copy).toBeLessThan(source);
    }
    expect(lines.filter((l) => l.startsWith("ARG ")).join()).not.toMatch(/TOKEN|PASSWORD|SECRET|_AUTH/);
    expect(dockerignore).toContain(".git\n");
    expect(render(plan)).toEqual({ dockerfile, dockerignore });
  });
});

describe("render: options and special cases", () => {
  it("takes base images from the map, by logical name or by default reference", async () => {
    const plan = await detect(join(root, "g13-go"));
    const byName = render(plan, {
      baseImages: { go: "mirror/go:x", "distroless-static": "mirror/static" },
    }).dockerfile;
    expect(byName).toContain("FROM mirror/go:x AS build");
    expect(byName).toContain("FROM mirror/static AS runtime");
    const byRef = render(plan, {
      baseImages: { "golang:1.22-bookworm": "pinned/go", go: "ignored" },
    }).dockerfile;
    expect(byRef).toContain("FROM pinned/go AS build");
    expect(render(plan).dockerfile).toContain("FROM golang:1.22-bookworm AS build");
  });

  it("an SPA's runtime image is the static server with only the build output", async () => {
    const { dockerfile } = render(await detect(join(root, "g05-vite-react")));
    const final = lastStage(dockerfile).join("\n");
    expect(final).toContain("FROM caddy:2 AS runtime");
    expect(final).toContain("COPY --from=build /app/dist /srv");
    expect(final).toContain("try_files {path} {path}/ /index.html");
    expect(final).not.toMatch(/node/);
  });

  it("a Node server keeps node_modules and runs the start script as a non-root user", async () => {
    const { dockerfile } = render(await detect(join(root, "g01-node-npm")));
    expect(dockerfile).toContain("FROM node:20-slim AS deps");
    expect(dockerfile).toContain('COPY ["package.json","package-lock.json","./"]');
    expect(dockerfile).toContain("RUN npm prune --omit=dev && mkdir -p node_modules");
    expect(dockerfile).toContain("RUN npm run build && rm -rf node_modules");
    expect(dockerfile).toContain('CMD ["/bin/sh","-c","exec npm run start"]');
  });

  it("Laravel gets a Node assets stage whose output (not node_modules) feeds the PHP build", async () => {
    const { dockerfile } = render(await detect(join(root, "g16-laravel")));
    expect(dockerfile).toMatch(/FROM node:22-slim AS assets[\s\S]*RUN npm run build && rm -rf node_modules/);
    expect(dockerfile).toContain("COPY --from=assets /app/ ./");
    expect(dockerfile).toContain("FROM dunglas/frankenphp:1-php8.4 AS runtime");
  });

  it("Rails installs compilers in the build stages and libpq in the runtime, before dropping root", async () => {
    const { dockerfile } = render(await detect(join(root, "g15-rails")));
    const apt = (pkgs: string) =>
      `RUN apt-get update && apt-get install -y --no-install-recommends ${pkgs} &&`;
    expect(dockerfile).toContain(apt("build-essential libpq-dev libyaml-dev"));
    const final = lastStage(dockerfile).join("\n");
    expect(final).toContain(apt("libpq5"));
    expect(final.indexOf("libpq5")).toBeLessThan(final.indexOf("USER "));
  });

  it("PHP with Composer takes the composer binary from the configurable composer image", async () => {
    const plan = await detect(join(root, "g16-laravel"));
    const { dockerfile } = render(plan, { baseImages: { composer: "mirror/composer:2" } });
    expect(dockerfile).toContain("COPY --from=mirror/composer:2 /usr/bin/composer /usr/local/bin/composer");
  });

  it("no .dockerignore is rendered when the repo has one", async () => {
    const plan = { ...(await detect(join(root, "g07-python-pip"))), hasDockerignore: true };
    expect(render(plan).dockerignore).toBeNull();
  });

  it("refuses to render for a repository that brings its own Dockerfile", async () => {
    const plan = await detect(join(root, "g20-dockerfile"));
    expect(() => render(plan)).toThrow(expect.objectContaining({ code: "DOCKERFILE_PROVIDED" }));
    expect(() => render(plan)).toThrow(BuildPlanError);
  });

  it("registry settings can be baked in as ARG defaults for builders without --build-arg", async () => {
    const plan = await detect(join(root, "g01-node-npm"));
    const registry = { npmRegistry: "https://npm.mirror/", caFile: BUILD_CA_PATH };
    const { dockerfile } = render(plan, { registry });
    expect(dockerfile).toContain("ARG NPM_CONFIG_REGISTRY=https://npm.mirror/\n");
    expect(dockerfile).toContain("ARG NPM_CONFIG_CAFILE=/run/build-ca.crt\n");
    expect(render(plan).dockerfile).toContain("ARG NPM_CONFIG_REGISTRY\n");
    expect(render(plan, { registry: { npmRegistry: "x y\nRUN evil" } }).dockerfile).not.toContain("evil");
  });

  it("registry build args carry locations and the in-build CA path, never credentials", () => {
    const args = registryBuildArgs({
      npmRegistry: "https://npm.example/",
      caFile: BUILD_CA_PATH,
      goProxy: "https://gp",
    });
    expect(args).toMatchObject({
      NPM_CONFIG_REGISTRY: "https://npm.example/",
      NPM_CONFIG_CAFILE: "/run/build-ca.crt",
      PIP_CERT: "/run/build-ca.crt",
      GOPROXY: "https://gp",
    });
    expect(args.PIP_INDEX_URL).toBeUndefined();
  });
});
