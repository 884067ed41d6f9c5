import type { RepoTree } from "../repo-tree.ts";

/** Dependencies that make a package.json a web server (used when node and python both match). */
export const NODE_WEB_FRAMEWORKS = [
  "next",
  "nuxt",
  "express",
  "fastify",
  "koa",
  "hono",
  "@nestjs/core",
  "@remix-run/node",
  "@react-router/node",
  "@sveltejs/kit",
  "astro",
  "vite",
  "react-scripts",
  "@angular/core",
];

/** Framework id by dependency, most specific first. */
const FRAMEWORKS: [dep: string, id: string][] = [
  ["next", "nextjs"],
  ["nuxt", "nuxt"],
  ["@react-router/node", "react-router"],
  ["@react-router/serve", "react-router"],
  ["@remix-run/node", "remix"],
  ["@remix-run/serve", "remix"],
  ["@sveltejs/kit", "sveltekit"],
  ["astro", "astro"],
  ["@angular/core", "angular"],
  ["react-scripts", "cra"],
  ["@nestjs/core", "nestjs"],
  ["@vue/cli-service", "vue-cli"],
  ["vite", "vite"],
  ["parcel", "parcel"],
  ["webpack-dev-server", "webpack"],
  ["webpack-cli", "webpack"],
  ["express", "express"],
  ["fastify", "fastify"],
  ["hono", "hono"],
  ["koa", "koa"],
];

export function nodeFramework(deps: Record<string, string>): string | null {
  return FRAMEWORKS.find(([dep]) => dep in deps)?.[1] ?? null;
}

async function firstText(tree: RepoTree, names: string[]): Promise<string | null> {
  for (const n of names) {
    const t = await tree.read(n);
    if (t !== null) return t;
  }
  return null;
}

const quoted = (key: string) => new RegExp(`${key}\\s*:\\s*["'\`]([^"'\`]+)["'\`]`);

/**
 * Where a single-page app's build lands (bundlers without a server of their own; the meta-frameworks are in
 * node-server-start.ts), or null when the framework is not an SPA bundler.
 * Reads config files as text (never evaluates them).
 */
export async function spaOutputDir(
  tree: RepoTree,
  framework: string | null,
  _deps: Record<string, string>,
  buildScript: string | undefined,
): Promise<string | null> {
  const cliOut = buildScript?.match(/--(?:out|dist)-?dir[= ](\S+)/i)?.[1];
  switch (framework) {
    case "vite": {
      const cfg = await firstText(tree, [
        "vite.config.ts",
        "vite.config.js",
        "vite.config.mjs",
        "vite.config.mts",
      ]);
      return cliOut ?? cfg?.match(quoted("outDir"))?.[1] ?? "dist";
    }
    case "cra":
      return "build";
    case "webpack":
    case "parcel":
    case "vue-cli":
      return cliOut ?? "dist";
    default:
      return null;
  }
}
