// Builds the UI only when dist/ is missing or older than its sources, so `npm start` on a fresh clone
// serves the dashboard and a warm start costs a few file stats (ADR 0093). Type checks stay in `build`.
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const built = path.join(root, "dist", "index.html");

/** Newest modification time under `entry` (a file or a directory), in ms. */
function newest(entry) {
  const stat = statSync(entry, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(entry).reduce((max, name) => Math.max(max, newest(path.join(entry, name))), 0);
}

const sources = ["src", "index.html", "vite.config.ts", "package.json"].map((p) => path.join(root, p));
const builtAt = statSync(built, { throwIfNoEntry: false })?.mtimeMs ?? 0;
const changedAt = Math.max(...sources.map(newest));

if (builtAt >= changedAt) {
  process.stdout.write("kli8nt web: dist is up to date\n");
} else {
  const started = performance.now();
  const { build } = await import("vite");
  await build({ root, logLevel: "warn" });
  process.stdout.write(`kli8nt web: built dist in ${Math.round(performance.now() - started)} ms\n`);
}
