import { afterEach, describe, expect, it } from "vitest";
import { devServerOf, watcherToNode } from "./detect/node-dev-server.ts";
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

const pkg = (o: object) => JSON.stringify(o);
const kit = (adapter: string, opts = "") => ({
  "package.json": pkg({
    scripts: { dev: "vite dev", build: "vite build" },
    devDependencies: { "@sveltejs/kit": "2", [adapter]: "5", vite: "6" },
  }),
  "svelte.config.js": `import adapter from '${adapter}';\nexport default { kit: { adapter: adapter(${opts}) } };\n`,
});

describe("rule: SvelteKit adapters", () => {
  it("adapter-node starts `node build`, or the adapter's out directory", async () => {
    expect(await plan(kit("@sveltejs/adapter-node"))).toMatchObject({
      provider: "node",
      framework: "sveltekit",
      start: "node build",
      build: ["npm run build"],
    });
    expect((await plan(kit("@sveltejs/adapter-node", "{ out: 'server' }"))).start).toBe("node server");
  });

  it("adapter-static is a static site from its pages directory", async () => {
    const p = await plan(kit("@sveltejs/adapter-static", "{ pages: 'public', fallback: 'index.html' }"));
    expect(p).toMatchObject({ provider: "static", staticOutputDir: "public" });
  });

  it("adapter-auto warns and builds with adapter-node swapped in", async () => {
    const p = await plan(kit("@sveltejs/adapter-auto"));
    expect(p.start).toBe("node build");
    expect(p.build[0]).toBe("npm install --no-save @sveltejs/adapter-node@5");
    expect(p.build[1]).toContain("svelte.config.js");
    expect(p.warnings.join("\n")).toMatch(/adapter-auto: building with @sveltejs\/adapter-node/);
  });
});

describe("rule: meta-framework servers and static outputs", () => {
  it("Nuxt: .output/server/index.mjs; `nuxt generate` is static .output/public", async () => {
    const deps = { dependencies: { nuxt: "3" } };
    expect(
      await plan({ "package.json": pkg({ ...deps, scripts: { build: "nuxt build", dev: "nuxt dev" } }) }),
    ).toMatchObject({ provider: "node", start: "node .output/server/index.mjs", env: { HOST: "0.0.0.0" } });
    expect(
      await plan({ "package.json": pkg({ ...deps, scripts: { build: "nuxt generate" } }) }),
    ).toMatchObject({ provider: "static", staticOutputDir: ".output/public" });
  });

  it("Remix and React Router v7 run their own servers on the build output", async () => {
    const rr = await plan({
      "package.json": pkg({
        scripts: { build: "react-router build", dev: "react-router dev" },
        dependencies: { "@react-router/node": "7", "@react-router/serve": "7" },
      }),
      "vite.config.ts": "",
    });
    expect(rr).toMatchObject({
      framework: "react-router",
      start: "node_modules/.bin/react-router-serve ./build/server/index.js",
    });
    const remix = await plan({
      "package.json": pkg({
        scripts: { build: "remix build" },
        dependencies: { "@remix-run/node": "2", "@remix-run/serve": "2" },
      }),
    });
    expect(remix.start).toBe("node_modules/.bin/remix-serve ./build/index.js");
  });

  it("Astro: static dist/ without an adapter, the Node adapter's entry with one", async () => {
    const scripts = { scripts: { dev: "astro dev", start: "astro dev", build: "astro build" } };
    const stat = await plan({ "package.json": pkg({ ...scripts, dependencies: { astro: "5" } }) });
    expect(stat).toMatchObject({ provider: "static", staticOutputDir: "dist" });
    expect(stat.warnings.join("\n")).toMatch(/development server \(astro dev\)/);
    const ssr = await plan({
      "package.json": pkg({ ...scripts, dependencies: { astro: "5", "@astrojs/node": "9" } }),
      "astro.config.mjs":
        "import node from '@astrojs/node';\nexport default { output: 'server', adapter: node({ mode: 'standalone' }) };",
    });
    expect(ssr).toMatchObject({
      provider: "node",
      start: "node ./dist/server/entry.mjs",
      env: { HOST: "0.0.0.0" },
    });
    const own = await plan({
      "package.json": pkg({
        scripts: { start: "node ./dist/server/entry.mjs", build: "astro build" },
        dependencies: { astro: "5", "@astrojs/node": "9" },
      }),
    });
    // The app's own start script wins, and still gets the framework server's binding.
    expect(own).toMatchObject({ start: "npm run start", env: { HOST: "0.0.0.0" } });
  });

  it("Angular: SSR runs dist/<name>/server/server.mjs, browser-only is static <outputPath>/browser", async () => {
    const ng = (ssr: boolean) =>
      pkg({
        projects: {
          shop: {
            architect: {
              build: {
                builder: "@angular-devkit/build-angular:application",
                options: { outputPath: "dist/shop", ...(ssr ? { ssr: { entry: "src/server.ts" } } : {}) },
              },
            },
          },
        },
      });
    const deps = {
      scripts: { start: "ng serve", build: "ng build" },
      dependencies: { "@angular/core": "19" },
    };
    const ssr = await plan({
      "package.json": pkg({ ...deps, dependencies: { ...deps.dependencies, "@angular/ssr": "19" } }),
      "angular.json": ng(true),
    });
    expect(ssr).toMatchObject({ provider: "node", start: "node dist/shop/server/server.mjs" });
    const browser = await plan({ "package.json": pkg(deps), "angular.json": ng(false) });
    expect(browser).toMatchObject({ provider: "static", staticOutputDir: "dist/shop/browser" });
  });

  it("Next.js standalone: node server.js from .next/standalone with static and public copied", async () => {
    const p = await plan({
      "package.json": pkg({
        scripts: { build: "next build", start: "next start" },
        dependencies: { next: "15" },
      }),
      "next.config.mjs": "export default { output: 'standalone' };\n",
    });
    expect(p).toMatchObject({ provider: "node", start: "node .next/standalone/server.js" });
    expect(p.env).toMatchObject({ HOSTNAME: "0.0.0.0", NEXT_TELEMETRY_DISABLED: "1" });
    expect(p.build).toEqual([
      "npm run build",
      "cp -r .next/static .next/standalone/.next/static",
      "if [ -d public ]; then cp -r public .next/standalone/public; fi",
      "rm -rf .next/cache",
    ]);
    const docker = render(p).dockerfile;
    expect(docker).toContain('CMD ["/bin/sh","-c","exec node .next/standalone/server.js"]');
    // The standalone server traced its own node_modules: no second, full copy in the runtime image.
    expect(docker).toContain("FROM deps AS prod-deps\nRUN rm -rf node_modules && mkdir -p node_modules");
  });

  it("Next.js without a start script runs next start; `next dev` as start is replaced", async () => {
    const p = await plan({
      "package.json": pkg({
        scripts: { build: "next build", start: "next dev" },
        dependencies: { next: "15" },
      }),
    });
    expect(p.start).toBe("node_modules/.bin/next start");
    expect(p.warnings.join("\n")).toMatch(/development server \(next dev\)/);
  });
});

describe("rule: dev servers are not production servers", () => {
  it("recognises the common dev servers and leaves production starts alone", () => {
    for (const s of [
      "react-scripts start",
      "vite",
      "vite dev",
      "vite --port 3000",
      "next dev",
      "ng serve",
      "nuxt dev",
      "astro dev",
      "webpack serve --mode development",
      "webpack-dev-server",
      "nodemon server.js",
      "parcel index.html",
      "npx vite",
    ]) {
      expect(devServerOf(s), s).not.toBeNull();
    }
    for (const s of [
      "node server.js",
      "vite preview",
      "next start",
      "parcel build index.html",
      "serve -s build",
    ]) {
      expect(devServerOf(s), s).toBeNull();
    }
    expect(watcherToNode("nodemon --watch src server.js")).toBe("node server.js");
  });

  it("CRA with react-scripts start: react-scripts build served statically from build/, with a warning", async () => {
    const p = await plan({
      "package.json": pkg({
        scripts: { start: "react-scripts start", build: "react-scripts build" },
        dependencies: { "react-scripts": "5", react: "18" },
      }),
    });
    expect(p).toMatchObject({
      provider: "static",
      framework: "cra",
      staticOutputDir: "build",
      build: ["npm run build"],
    });
    expect(p.warnings.join("\n")).toMatch(/react-scripts start.*not using it[\s\S]*build\/ statically/);
  });

  it("a Vite app whose start is `vite` is a static SPA; webpack serve → dist/", async () => {
    const vite = await plan({
      "package.json": pkg({
        scripts: { start: "vite", build: "vite build" },
        devDependencies: { vite: "6" },
      }),
    });
    expect(vite).toMatchObject({ provider: "static", staticOutputDir: "dist" });
    const wp = await plan({
      "package.json": pkg({
        scripts: { start: "webpack serve", build: "webpack --mode production" },
        devDependencies: { webpack: "5", "webpack-cli": "5" },
      }),
    });
    expect(wp).toMatchObject({ provider: "static", staticOutputDir: "dist" });
  });

  it("nodemon server.js starts node server.js", async () => {
    const p = await plan({
      "package.json": pkg({
        scripts: { start: "nodemon server.js" },
        dependencies: { express: "4", nodemon: "3" },
      }),
      "server.js": "",
    });
    expect(p).toMatchObject({ provider: "node", start: "node server.js" });
  });
});
