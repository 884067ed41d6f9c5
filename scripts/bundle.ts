// Bundles each server deployable into dist/<name>.mjs with esbuild (ADR 0115): one file per process,
// plain `node dist/<name>.mjs`, no TypeScript transform at start and no tsx in memory.
// Usage: node --import tsx scripts/bundle.ts [name…]   (no names: every deployable whose entry exists)
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const OUT_DIR = join(ROOT, "dist");

/** The process entry points (composition roots) of the deployables. */
export const DEPLOYABLES: Readonly<Record<string, string>> = {
  api: "apps/api/src/main.ts",
  "build-controller": "apps/build-controller/src/kaniko-job/main.ts",
  "build-prepare": "apps/build-controller/src/kaniko-job/prepare-main.ts",
  "deploy-controller": "apps/deploy-controller/src/kubernetes/main.ts",
  "log-controller": "apps/log-controller/src/main.ts",
};

// PGlite finds its WebAssembly and data files next to its own module; pg-native is an optional peer;
// esbuild (when a bench bundles itself) runs its own binary.
const EXTERNAL = ["@electric-sql/pglite", "pg-native", "esbuild"];

/**
 * Workspace sources that locate files by `import.meta.url` (migrations, the built UI) keep pointing at
 * the same files from the bundle: the URL is rewritten relative to dist/, which ships beside the repo.
 */
const keepFileUrls = (outDir: string): Plugin => ({
  name: "keep-file-urls",
  setup(b) {
    b.onLoad({ filter: /\/(apps|packages)\/[^/]+\/src\/.*\.ts$/ }, (args) => {
      const source = readFileSync(args.path, "utf8");
      if (!source.includes("import.meta.url")) return undefined;
      const fromBundle = relative(outDir, args.path);
      return {
        contents: source.replaceAll(
          "import.meta.url",
          `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`,
        ),
        loader: "ts",
      };
    });
  },
});

/** Bundles one entry (a TypeScript file of the repo) into `outfile`, an ES module for plain node. */
export async function bundleEntry(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: EXTERNAL,
    plugins: [keepFileUrls(dirname(outfile))],
    sourcemap: "linked",
    legalComments: "linked",
    logLevel: "warning",
    // CommonJS dependencies inside an ES module bundle still call require().
    banner: {
      js: "import { createRequire as __kli8ntRequire } from 'node:module'; const require = __kli8ntRequire(import.meta.url);",
    },
  });
}

/** Bundles the named deployables (default: every one whose entry exists); returns the files written. */
export async function bundle(names: readonly string[] = Object.keys(DEPLOYABLES)): Promise<string[]> {
  const built: string[] = [];
  for (const name of names) {
    const entry = DEPLOYABLES[name];
    if (!entry) throw new Error(`unknown deployable ${name} (one of ${Object.keys(DEPLOYABLES).join(", ")})`);
    if (!existsSync(join(ROOT, entry))) continue;
    const outfile = join(OUT_DIR, `${name}.mjs`);
    await bundleEntry(join(ROOT, entry), outfile);
    built.push(relative(ROOT, outfile));
  }
  return built;
}

// Run as a script (not when imported, nor when a bench bundles this file into itself).
if (process.argv[1]?.endsWith("/scripts/bundle.ts")) {
  const built = await bundle(process.argv.length > 2 ? process.argv.slice(2) : undefined);
  for (const file of built) console.log(`bundled ${file}`);
}
