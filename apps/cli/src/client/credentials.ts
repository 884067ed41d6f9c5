import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { CliError, type Credentials } from "./api-client.ts";

export interface CliEnv {
  readonly KLI8NT_URL?: string | undefined;
  readonly KLI8NT_TOKEN?: string | undefined;
  readonly KLI8NT_CONFIG_DIR?: string | undefined;
  /** Where `kli8nt open` and the browser login look for the platform's URL opener. */
  readonly PATH?: string | undefined;
}

export function configFile(env: CliEnv): string {
  return path.join(env.KLI8NT_CONFIG_DIR ?? path.join(homedir(), ".config", "kli8nt"), "credentials.json");
}

/** KLI8NT_URL/KLI8NT_TOKEN win over the saved login, so scripts never depend on a home directory. */
export function resolveCredentials(env: CliEnv): Credentials {
  if (env.KLI8NT_TOKEN) return { url: env.KLI8NT_URL ?? "http://127.0.0.1:8080", token: env.KLI8NT_TOKEN };
  try {
    const saved = JSON.parse(readFileSync(configFile(env), "utf8")) as Partial<Credentials>;
    if (saved.url && saved.token) return { url: env.KLI8NT_URL ?? saved.url, token: saved.token };
  } catch {
    // no saved login: fall through to the error that says what to do
  }
  throw new CliError(
    "Not logged in: run `kli8nt login --url <url> --token <token>` or set KLI8NT_TOKEN",
    "NOT_LOGGED_IN",
  );
}

/** Saved with mode 0600: the file holds a bearer token. */
export function saveCredentials(env: CliEnv, credentials: Credentials): string {
  const file = configFile(env);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}
