import { readFileSync } from "node:fs";
import { UnavailableError } from "@kli8nt/core";

/** A registry account (a robot account with delete rights), as a dockerconfigjson holds it. */
export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
}

/**
 * The credentials for `host` in a Docker config file (`{"auths":{"<host>":{"auth":"<base64 user:pass>"}}}`
 * or `username`/`password`): the same format as the builds' push Secret, so one Secret serves both.
 */
export function credentialsFromDockerConfig(path: string, host: string): RegistryCredentials {
  const config = JSON.parse(readFileSync(path, "utf8")) as {
    auths?: Record<string, { auth?: string; username?: string; password?: string }>;
  };
  const entry = Object.entries(config.auths ?? {}).find(
    ([k]) => k.replace(/^https?:\/\//, "").replace(/\/.*$/, "") === host,
  )?.[1];
  const decoded = entry?.auth ? Buffer.from(entry.auth, "base64").toString("utf8") : undefined;
  const username = entry?.username ?? decoded?.slice(0, decoded.indexOf(":"));
  const password = entry?.password ?? decoded?.slice(decoded.indexOf(":") + 1);
  if (!username || password === undefined) {
    throw new Error(`the Docker config ${path} has no credentials for ${host}`);
  }
  return { username, password };
}

/**
 * Answers a registry's 401 challenge (the Docker registry auth flow): `Basic` → the credentials
 * themselves; `Bearer realm=…,service=…` → a token for `repository:<name>:pull,delete` from the realm,
 * fetched with the credentials. Tokens are kept per repository until they expire.
 */
export function challengeAuthorization(credentials: RegistryCredentials, doFetch: typeof fetch = fetch) {
  const basic = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`;
  const tokens = new Map<string, { value: string; until: number }>();
  return {
    /** A kept token for the repository, if one is still valid. */
    cached(repository: string): string | undefined {
      const kept = tokens.get(repository);
      return kept && kept.until > Date.now() ? kept.value : undefined;
    },
    async answer(repository: string, challenge: string | null): Promise<string> {
      const scheme = challenge?.split(" ", 1)[0]?.toLowerCase();
      if (scheme === "basic") return basic;
      if (scheme !== "bearer") {
        throw new UnavailableError(
          "REGISTRY_AUTH_UNSUPPORTED",
          `the registry asks for unknown auth: ${challenge ?? "none"}`,
        );
      }
      const { token, expiresIn } = await fetchToken(doFetch, basic, repository, challenge ?? "");
      // Renewed a little early: a token that expires mid-removal would fail its last DELETE.
      tokens.set(repository, { value: `Bearer ${token}`, until: Date.now() + (expiresIn - 10) * 1000 });
      return `Bearer ${token}`;
    },
  };
}

/** A token for the repository from the Bearer challenge's realm, asked for with the account's Basic auth. */
async function fetchToken(
  doFetch: typeof fetch,
  basic: string,
  repository: string,
  challenge: string,
): Promise<{ token: string; expiresIn: number }> {
  const params = Object.fromEntries(
    [...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] ?? "", m[2] ?? ""]),
  );
  if (!params.realm)
    throw new UnavailableError("REGISTRY_AUTH_UNSUPPORTED", "the registry's Bearer challenge names no realm");
  const url = new URL(params.realm);
  if (params.service) url.searchParams.set("service", params.service);
  url.searchParams.set("scope", `repository:${repository}:pull,delete`);
  const response = await doFetch(url, { headers: { Authorization: basic } });
  if (!response.ok) {
    throw new UnavailableError(
      "REGISTRY_AUTH_FAILED",
      `the registry's token service refused the credentials: HTTP ${response.status}`,
      { details: { status: response.status } },
    );
  }
  const body = (await response.json()) as { token?: string; access_token?: string; expires_in?: number };
  const token = body.token ?? body.access_token;
  if (!token)
    throw new UnavailableError("REGISTRY_AUTH_FAILED", "the registry's token service sent no token");
  return { token, expiresIn: body.expires_in ?? 60 };
}

/** The registry residue's options from the controller's settings: credentials read from the auth file. */
export function registryOptions(c: { registry: string; insecure: boolean; authFile?: string | undefined }) {
  const host = c.registry.split("/", 1)[0] ?? c.registry;
  return {
    registry: c.registry,
    insecure: c.insecure,
    credentials: c.authFile ? credentialsFromDockerConfig(c.authFile, host) : undefined,
  };
}
