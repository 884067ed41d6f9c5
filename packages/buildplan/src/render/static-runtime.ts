import type { BuildPlan } from "../types.ts";
import { APP_USER, portLines } from "./instructions.ts";

/**
 * Caddy config written with printf in the runtime stage: a rendered Dockerfile must stand alone (no extra
 * files in the build context) and heredocs are not portable to Kaniko.
 */
const CADDYFILE = [
  "{",
  "\tadmin off",
  "\tauto_https off",
  "}",
  ":{$PORT} {",
  "\troot * /srv",
  "\tencode gzip",
  "\ttry_files {path} {path}/ /index.html",
  "\tfile_server",
  "}",
];

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Static server stage: only the built files and Caddy, SPA fallback to index.html. */
export function staticRuntime(plan: BuildPlan, image: string, from: string | null): string[] {
  const dir = (plan.staticOutputDir ?? ".").replace(/\/$/, "") || ".";
  const source =
    from === null
      ? `COPY ${dir === "." ? "." : dir} /srv`
      : `COPY --from=${from} /app/${dir === "." ? "" : dir} /srv`;
  return [
    `FROM ${image} AS runtime`,
    `RUN mkdir -p /etc/kli8nt && printf '%s\\n' ${CADDYFILE.map(shellQuote).join(" ")} > /etc/kli8nt/Caddyfile`,
    // Caddy keeps state under XDG dirs; point them somewhere the non-root user can write.
    "ENV XDG_DATA_HOME=/tmp XDG_CONFIG_HOME=/tmp",
    `USER ${APP_USER}`,
    ...portLines(plan),
    `CMD ${JSON.stringify(["caddy", "run", "--config", "/etc/kli8nt/Caddyfile", "--adapter", "caddyfile"])}`,
    source.replace(/\/app\/ \/srv$/, "/app /srv"),
  ];
}
