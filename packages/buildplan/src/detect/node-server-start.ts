import type { RepoTree } from "../repo-tree.ts";

/**
 * What a meta-framework's production build produces, read from its config files as text (never evaluated):
 * a Node server to start, or a directory of static files to serve.
 */
export type FrameworkOutput =
  | {
      kind: "server";
      start: string;
      env: Record<string, string>;
      /** Commands run before the app's own build (adapter swaps) and after it (asset copies). */
      before: string[];
      after: string[];
      warnings: string[];
    }
  | { kind: "static"; dir: string; warnings: string[] };

/** Extra build commands for adapter-auto (switch to adapter-node) need the package manager's add command. */
export interface OutputContext {
  deps: Record<string, string>;
  buildScript: string | undefined;
  /** `npm install --no-save`, `pnpm add -D`… */
  add: string;
}

type ServerOutput = Extract<FrameworkOutput, { kind: "server" }>;

const server = (start: string, env: Record<string, string> = {}, after: string[] = []): ServerOutput => ({
  kind: "server",
  start,
  env,
  before: [],
  after,
  warnings: [],
});

async function firstText(tree: RepoTree, names: string[]): Promise<string | null> {
  for (const n of names) {
    const t = await tree.read(n);
    if (t !== null) return t;
  }
  return null;
}

const configText = (tree: RepoTree, base: string) =>
  firstText(
    tree,
    ["js", "mjs", "ts", "cjs", "mts"].map((ext) => `${base}.${ext}`),
  );

const option = (text: string | null, key: string) =>
  text?.match(new RegExp(`\\b${key}\\s*:\\s*["'\`]([\\w./@-]+)["'\`]`))?.[1];

async function sveltekit(tree: RepoTree, ctx: OutputContext): Promise<FrameworkOutput> {
  const cfg = (await configText(tree, "svelte.config")) ?? "";
  if (/@sveltejs\/adapter-static/.test(cfg)) {
    return { kind: "static", dir: option(cfg, "pages") ?? "build", warnings: [] };
  }
  if (/@sveltejs\/adapter-node/.test(cfg)) return server(`node ${option(cfg, "out") ?? "build"}`);
  // adapter-auto (or an adapter for another host) builds nothing runnable outside Vercel/Netlify/Cloudflare:
  // the build swaps in adapter-node, whose server honours PORT, as Render's SvelteKit guide has users do.
  const found = cfg.match(/@sveltejs\/adapter-[\w-]+/)?.[0] ?? "no adapter";
  const out = server("node build");
  out.warnings.push(
    `SvelteKit with ${found}: building with @sveltejs/adapter-node instead (a Node server, \`node build\`); add adapter-node or adapter-static to svelte.config.js to choose`,
  );
  if (cfg !== "") {
    const file = (await tree.isFile("svelte.config.ts")) ? "svelte.config.ts" : "svelte.config.js";
    out.before = [
      `${ctx.add} @sveltejs/adapter-node@5`,
      `sed -i -E 's#@sveltejs/adapter-[a-z-]+#@sveltejs/adapter-node#' ${file}`,
    ];
  }
  return out;
}

function nuxt(ctx: OutputContext): FrameworkOutput {
  if (/\b(nuxt|nuxi)\s+generate\b/.test(ctx.buildScript ?? "")) {
    return { kind: "static", dir: ".output/public", warnings: [] };
  }
  return server("node .output/server/index.mjs", { HOST: "0.0.0.0" });
}

/** Remix (classic and Vite) and React Router v7 framework mode, served by their own production servers. */
async function remix(tree: RepoTree, framework: string, ctx: OutputContext): Promise<FrameworkOutput> {
  const vite = await configText(tree, "vite.config");
  const entry = vite !== null ? "./build/server/index.js" : "./build/index.js";
  const bin = framework === "react-router" ? "react-router-serve" : "remix-serve";
  const out = server(`node_modules/.bin/${bin} ${entry}`);
  const pkg = framework === "react-router" ? "@react-router/serve" : "@remix-run/serve";
  if (!(pkg in ctx.deps)) out.warnings.push(`${framework} app without ${pkg}; set a start command`);
  return out;
}

/** Astro: static `dist/` unless an SSR adapter is configured; the Node adapter builds dist/server/entry.mjs. */
async function astro(tree: RepoTree, ctx: OutputContext): Promise<FrameworkOutput> {
  const cfg = (await configText(tree, "astro.config")) ?? "";
  const nodeAdapter = /@astrojs\/node/.test(cfg) || "@astrojs/node" in ctx.deps;
  if (!nodeAdapter && !/output\s*:\s*["'](server|hybrid)["']/.test(cfg)) {
    return { kind: "static", dir: option(cfg, "outDir") ?? "dist", warnings: [] };
  }
  const out = server("node ./dist/server/entry.mjs", { HOST: "0.0.0.0" });
  if (!nodeAdapter) out.warnings.push("Astro server output without @astrojs/node; set a start command");
  return out;
}

/** Angular: SSR (`@angular/ssr`) runs dist/<project>/server/server.mjs; otherwise the browser build is static. */
async function angular(tree: RepoTree, ctx: OutputContext): Promise<FrameworkOutput> {
  const ng = await tree.readJson("angular.json");
  type Build = { builder?: unknown; options?: { outputPath?: unknown; ssr?: unknown } };
  const projects = (ng?.projects ?? {}) as Record<string, { architect?: { build?: Build } }>;
  const [name, project] = Object.entries(projects)[0] ?? ["app", undefined];
  const build = project?.architect?.build ?? {};
  const out = build.options?.outputPath;
  const base =
    typeof out === "string" ? out : ((out as { base?: string } | undefined)?.base ?? `dist/${name}`);
  const ssr = build.options?.ssr;
  if ("@angular/ssr" in ctx.deps && ssr !== undefined && ssr !== false) {
    return server(`node ${base}/server/server.mjs`);
  }
  // The application builder (Angular 17+) writes browser files under <outputPath>/browser; the older browser
  // builder writes them straight into outputPath.
  const application = typeof build.builder === "string" && build.builder.endsWith(":application");
  const dir = typeof out === "string" && !application ? out : `${base}/browser`;
  return { kind: "static", dir, warnings: [] };
}

/** Next.js: `output: "export"` is static, `"standalone"` a self-contained server, else `next start`. */
async function nextjs(tree: RepoTree): Promise<FrameworkOutput> {
  const cfg = await configText(tree, "next.config");
  const output = option(cfg, "output");
  const dist = option(cfg, "distDir") ?? ".next";
  if (output === "export") return { kind: "static", dir: option(cfg, "distDir") ?? "out", warnings: [] };
  if (output === "standalone") {
    // The standalone server leaves static assets and public/ to a CDN; copy them beside it, as Next's own
    // Dockerfile example does. HOSTNAME: the server binds to it, and containers set it to their id.
    return server(`node ${dist}/standalone/server.js`, { HOSTNAME: "0.0.0.0" }, [
      `cp -r ${dist}/static ${dist}/standalone/${dist}/static`,
      `if [ -d public ]; then cp -r public ${dist}/standalone/public; fi`,
      // The build cache serves the next `next build` on the same machine; nothing reads it at run time.
      `rm -rf ${dist}/cache`,
    ]);
  }
  return server("node_modules/.bin/next start");
}

/**
 * Servers whose build output carries its own traced node_modules (Next's standalone, Nitro's .output): the
 * runtime image needs no separate production node_modules, which for these frameworks is hundreds of MB.
 */
export const SELF_CONTAINED_START = /^node (\S+\/standalone\/server\.js|\.output\/server\/index\.mjs)$/;

/** The production output of a known meta-framework, or null when the framework is not one of them. */
export async function frameworkOutput(
  tree: RepoTree,
  framework: string | null,
  ctx: OutputContext,
): Promise<FrameworkOutput | null> {
  switch (framework) {
    case "sveltekit":
      return sveltekit(tree, ctx);
    case "nuxt":
      return nuxt(ctx);
    case "remix":
    case "react-router":
      return remix(tree, framework, ctx);
    case "astro":
      return astro(tree, ctx);
    case "angular":
      return angular(tree, ctx);
    case "nextjs":
      return nextjs(tree);
    default:
      return null;
  }
}
