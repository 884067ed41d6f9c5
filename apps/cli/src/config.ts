import type { CliEnv } from "./client/credentials.ts";

/** The variables the CLI reads: where the API is, the token, where a saved login lives, and PATH. */
export function loadCliEnv(env: NodeJS.ProcessEnv = process.env): CliEnv {
  return {
    KLI8NT_URL: env.KLI8NT_URL,
    KLI8NT_TOKEN: env.KLI8NT_TOKEN,
    KLI8NT_CONFIG_DIR: env.KLI8NT_CONFIG_DIR,
    PATH: env.PATH,
  };
}

/** https://no-color.org: any non-empty NO_COLOR turns colour off. */
export const noColourWanted = (env: NodeJS.ProcessEnv = process.env): boolean => Boolean(env.NO_COLOR);

/**
 * The environment a foreground child of the CLI inherits (`kli8nt psql`: TERM, HOME, LANG, PAGER…), with
 * the user's own libpq variables left out so that only the add-on's apply.
 */
export function childEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && !key.startsWith("PG")) out[key] = value;
  }
  return out;
}
