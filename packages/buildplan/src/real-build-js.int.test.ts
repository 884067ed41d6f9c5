import { join } from "node:path";
import { failUnderCi } from "@kli8nt/testkit";
import { describe, expect, it } from "vitest";
import { containerEnvFromProcess, type ServedSample, withServedSample } from "./testing/index.ts";

// Real builds of the JavaScript/TypeScript classes of issue 26: each fixture (shaped like its framework's own
// starter) is detected, rendered, built by buildah against the local base images and answered over HTTP by
// podman. Framework dependencies come from the configured npm registry with the build CA.
const cenv = containerEnvFromProcess(process.env);
failUnderCi(
  cenv === null,
  "KLI8NT_TEST_CONTAINERS/KLI8NT_TEST_BASE_IMAGES missing: run start_containers (scripts/infra/containers.sh)",
);

const fixtures = join(import.meta.dirname, "..", "fixtures");

/** Builds and serves a fixture; logs the build's wall time (cold on a fresh store, warm when cached). */
function served<T>(fixture: string, check: (s: ServedSample) => Promise<T>): Promise<T> {
  if (cenv === null) throw new Error("container environment missing");
  return withServedSample(join(fixtures, fixture), `localhost/kli8nt-test/${fixture}:latest`, cenv, (s) => {
    console.log(`[real-build-js] ${fixture}: build ${(s.buildMs / 1000).toFixed(1)} s`);
    return check(s);
  });
}

describe.skipIf(cenv === null)("real builds: JavaScript and TypeScript", { timeout: 900_000 }, () => {
  it("Express on a yarn 1 lockfile, with no yarn in the base image", async () => {
    await served("js-express-yarn1", async ({ plan, get }) => {
      expect(plan).toMatchObject({ packageManager: "yarn1", start: "npm run start" });
      expect(await get("/")).toEqual({ status: 200, body: "hello from express installed by yarn1\n" });
    });
  });

  it("Express on a pnpm lockfile, with no pnpm in the base image", async () => {
    await served("js-express-pnpm", async ({ plan, get }) => {
      expect(plan.packageManager).toBe("pnpm");
      expect(await get("/")).toEqual({ status: 200, body: "hello from express installed by pnpm\n" });
    });
  });

  it("Express on a bun lockfile: bun from its npm package, in its own image", async () => {
    await served("js-express-bun", async ({ plan, get }) => {
      expect(plan).toMatchObject({ packageManager: "bun", start: "bun run start" });
      expect(await get("/")).toEqual({ status: 200, body: "hello from express installed by bun\n" });
    });
  });

  it("native addon: bcrypt 5 compiled by node-gyp with python3/make/g++ from the table", async () => {
    await served("js-native-bcrypt", async ({ plan, get }) => {
      expect(plan.systemPackages.build).toEqual(["g++", "make", "python3"]);
      expect(await get("/")).toEqual({ status: 200, body: "bcrypt native addon: hash verified\n" });
    });
  });

  it("Deno: deno task start on $PORT", async () => {
    await served("js-deno", async ({ plan, get }) => {
      expect(plan.provider).toBe("deno");
      const r = await get("/");
      expect(r.status).toBe(200);
      expect(r.body).toMatch(/^hello from deno 2\.\d+\.\d+\n$/);
    });
  });

  it("SvelteKit adapter-node: `node build`, server-side load on each request", async () => {
    await served("js-sveltekit-node", async ({ plan, get }) => {
      expect(plan).toMatchObject({ provider: "node", framework: "sveltekit", start: "node build" });
      const r = await get("/");
      expect(r.status).toBe(200);
      expect(r.body).toContain("rendered by adapter-node");
    });
  });

  it("SvelteKit adapter-auto: warned, built with adapter-node swapped in, `node build`", async () => {
    await served("js-sveltekit-auto", async ({ plan, get }) => {
      expect(plan.warnings.join("\n")).toContain("SvelteKit with @sveltejs/adapter-auto");
      const r = await get("/");
      expect(r.status).toBe(200);
      expect(r.body).toContain("rendered by adapter-node");
    });
  });

  it("CRA whose start is the dev server: react-scripts build served statically with index fallback", async () => {
    await served("js-cra-devserver", async ({ plan, get }) => {
      expect(plan).toMatchObject({ provider: "static", framework: "cra", staticOutputDir: "build" });
      expect(plan.warnings.join("\n")).toContain("development server (react-scripts start)");
      const r = await get("/some/client/route");
      expect(r.status).toBe(200);
      expect(r.body).toContain('<div id="root"></div>');
      expect(r.body).toMatch(/src="\/static\/js\/main\.\w+\.js"/);
    });
  });

  it("Next.js standalone: node .next/standalone/server.js, static and public copied beside it", async () => {
    await served("js-next-standalone", async ({ plan, get }) => {
      expect(plan.start).toBe("node .next/standalone/server.js");
      const page = await get("/");
      expect(page.status).toBe(200);
      expect(page.body).toContain("Kli8nt Next.js standalone, rendered at request time");
      const chunk = page.body.match(/\/_next\/static\/[\w/.-]+\.js/)?.[0];
      expect(chunk).toBeDefined();
      expect((await get(chunk ?? "/missing")).status).toBe(200);
      expect(await get("/robots.txt")).toEqual({
        status: 200,
        body: "public file served beside the standalone server\n",
      });
    });
  });

  it("Next.js static export: out/ served by the static server (install layer shared with standalone)", async () => {
    await served("js-next-export", async ({ plan, get }) => {
      expect(plan).toMatchObject({ provider: "static", staticOutputDir: "out" });
      const r = await get("/");
      expect(r.status).toBe(200);
      expect(r.body).toContain("Kli8nt Next.js static export");
    });
  });

  it("Astro without an adapter, start script `astro dev`: static dist/", async () => {
    await served("js-astro", async ({ plan, get }) => {
      expect(plan).toMatchObject({ provider: "static", framework: "astro", staticOutputDir: "dist" });
      const r = await get("/");
      expect(r.status).toBe(200);
      expect(r.body).toContain("Kli8nt Astro fixture, built to static HTML");
    });
  });

  it("Astro with @astrojs/node (start script `astro dev`): node ./dist/server/entry.mjs on HOST 0.0.0.0", async () => {
    await served("js-astro-ssr", async ({ plan, get }) => {
      expect(plan).toMatchObject({ provider: "node", start: "node ./dist/server/entry.mjs" });
      const r = await get("/");
      expect(r.status).toBe(200);
      expect(r.body).toContain("Kli8nt Astro SSR fixture, rendered on request");
    });
  });

  it("Nuxt: node .output/server/index.mjs renders on the Nitro server", async () => {
    await served("js-nuxt", async ({ plan, get }) => {
      expect(plan.start).toBe("node .output/server/index.mjs");
      const r = await get("/");
      expect(r.status).toBe(200);
      expect(r.body).toContain("rendered on the Nitro server");
    });
  });
});
