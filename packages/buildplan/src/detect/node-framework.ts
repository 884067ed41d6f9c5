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
  ["@remix-run/node", "remix"],
  ["@sveltejs/kit", "sveltekit"],
  ["astro", "astro"],
  ["@angular/core", "angular"],
  ["react-scripts", "cra"],
  ["@nestjs/core", "nestjs"],
  ["vite", "vite"],
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
 * Where a single-page app's build lands, or null when the framework renders on a server.
 * Reads config files as text (never evaluates them).
 */
export async function spaOutputDir(
  tree: RepoTree,
  framework: string | null,
  deps: Record<string, string>,
  buildScript: string | undefined,
): Promise<string | null> {
  const cliOut = buildScript?.match(/--out-?dir[= ](\S+)/i)?.[1];
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
    case "angular":
      return angularOutput(await tree.readJson("angular.json"));
    case "astro":
      // An SSR adapter means a Node server, not static files.
      return Object.keys(deps).some((d) => d.startsWith("@astrojs/node")) ? null : (cliOut ?? "dist");
    case "nextjs": {
      const cfg = await firstText(tree, [
        "next.config.js",
        "next.config.mjs",
        "next.config.ts",
        "next.config.cjs",
      ]);
      if (!cfg || !/output\s*:\s*["']export["']/.test(cfg)) return null;
      return cfg.match(quoted("distDir"))?.[1] ?? "out";
    }
    default:
      return null;
  }
}

function angularOutput(angular: Record<string, unknown> | null): string {
  const projects = angular?.projects;
  if (projects && typeof projects === "object") {
    for (const [name, project] of Object.entries(projects as Record<string, unknown>)) {
      const opts = (project as { architect?: { build?: { options?: { outputPath?: unknown } } } })?.architect
        ?.build?.options;
      const out = opts?.outputPath;
      if (typeof out === "string") return out;
      if (out && typeof out === "object" && typeof (out as { base?: unknown }).base === "string") {
        return `${(out as { base: string }).base}/browser`;
      }
      return `dist/${name}/browser`;
    }
  }
  return "dist";
}
