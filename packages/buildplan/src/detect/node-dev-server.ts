/**
 * Start scripts that run a development server (hot reload, unminified bundles, a file watcher): fine on a
 * laptop, wrong in production, where they rebuild on every boot and crash under load (issue 26).
 */
const DEV_SERVERS: [pattern: RegExp, tool: string][] = [
  [/^react-scripts\s+start\b/, "react-scripts start"],
  [/^(craco|react-app-rewired)\s+start\b/, "react-scripts start"],
  [/^vite(\s+(dev|serve)\b|\s+--|\s*$)/, "vite"],
  [/^next\s+dev\b/, "next dev"],
  [/^ng\s+serve\b/, "ng serve"],
  [/^(nuxt|nuxi)\s+dev\b/, "nuxt dev"],
  [/^astro\s+dev\b/, "astro dev"],
  [/^vue-cli-service\s+serve\b/, "vue-cli-service serve"],
  [/^webpack(-cli)?\s+serve\b/, "webpack serve"],
  [/^webpack-dev-server\b/, "webpack-dev-server"],
  [/^parcel(\s+serve\b|\s+(?!build\b)[^\s-]\S*|\s*$)/, "parcel"],
  [/^(remix|react-router)\s+dev\b/, "remix dev"],
  [/^svelte-kit\s+dev\b/, "svelte-kit dev"],
  [/^nodemon\b/, "nodemon"],
  [/^ts-node-dev\b/, "ts-node-dev"],
];

/** The dev-server tool a start script runs (`npx`/env prefixes ignored), or null for a production start. */
export function devServerOf(script: string | undefined): string | null {
  if (script === undefined) return null;
  const cmd = script
    .trim()
    .replace(/^(\w+=\S*\s+)+/, "")
    .replace(/^(npx|pnpm exec|yarn|bunx)\s+/, "");
  return DEV_SERVERS.find(([re]) => re.test(cmd))?.[1] ?? null;
}

/**
 * `nodemon server.js` / `ts-node-dev src/app.ts` watch a server's files: the production equivalent runs the
 * same entry once. Returns null when the script has no plain entry file to run.
 */
export function watcherToNode(script: string): string | null {
  // The entry is the last argument; options before it (`--watch src`) are the watcher's own.
  const m = script.trim().match(/^(?:npx\s+)?(?:nodemon|ts-node-dev)\s.*?([\w./-]+\.(?:c|m)?js)\s*$/);
  return m?.[1] ? `node ${m[1]}` : null;
}
