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
