import { createHash, type KeyObject, randomUUID, sign, X509Certificate } from "node:crypto";

/**
 * Per-build registry credentials (docs/adr/0140): a short-lived JWT in the format of the Docker registry
 * token specification, signed by the build controller, which the registry (distribution's `auth.token`,
 * `rootcertbundle` = the issuer's certificate) verifies itself. It names the one app's repositories, so
 * what a tenant's RUN step can read from Kaniko's container cannot push to another app, and it expires
 * with the build.
 */
export interface RegistryTokenIssuer {
  /** Private key (EC P-256 or RSA) of the certificate the registry trusts. */
  readonly key: KeyObject;
  /** PEM certificate of that key, sent in the token's `x5c` header so the registry finds the key. */
  readonly certificate: string;
  /** `iss` of the tokens, the registry's `auth.token.issuer`. */
  readonly issuer: string;
  /** `aud` of the tokens, the registry's `auth.token.service`. */
  readonly service: string;
}

export interface RepositoryAccess {
  /** Repository name without the registry host, e.g. `kli8nt/shop`. */
  readonly name: string;
  readonly actions: readonly ("pull" | "push")[];
}

const base64url = (data: Buffer | string) => Buffer.from(data).toString("base64url");

function algorithmOf(key: KeyObject): { alg: string; hash: string; ieee: boolean } {
  if (key.asymmetricKeyType === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === "prime256v1") return { alg: "ES256", hash: "sha256", ieee: true };
    if (curve === "secp384r1") return { alg: "ES384", hash: "sha384", ieee: true };
    throw new Error(`registry token key: unsupported EC curve ${curve ?? "unknown"}`);
  }
  if (key.asymmetricKeyType === "rsa") return { alg: "RS256", hash: "sha256", ieee: false };
  throw new Error(`registry token key: unsupported key type ${key.asymmetricKeyType ?? "unknown"}`);
}

/** Signs a token granting `access`, valid from now (minus clock skew) for `ttlSeconds`. */
export function mintRegistryToken(
  issuer: RegistryTokenIssuer,
  subject: string,
  access: readonly RepositoryAccess[],
  ttlSeconds: number,
  now: Date = new Date(),
): string {
  const { alg, hash, ieee } = algorithmOf(issuer.key);
  const der = new X509Certificate(issuer.certificate).raw;
  const header = { typ: "JWT", alg, x5c: [der.toString("base64")] };
  const iat = Math.floor(now.getTime() / 1000);
  const claims = {
    iss: issuer.issuer,
    sub: subject,
    aud: issuer.service,
    iat,
    // The registry allows a minute of skew; a controller clock slightly ahead must not mint dead tokens.
    nbf: iat - 60,
    exp: iat + ttlSeconds,
    jti: randomUUID(),
    access: access.map((a) => ({ type: "repository", name: a.name, actions: [...a.actions] })),
  };
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = sign(hash, Buffer.from(input), {
    key: issuer.key,
    ...(ieee ? { dsaEncoding: "ieee-p1363" as const } : {}),
  });
  return `${input}.${base64url(signature)}`;
}

/** The repository part of `host[:port]/path/name[:tag|@digest]` when it is on `host`, else undefined. */
export function repositoryOn(host: string, image: string): string | undefined {
  if (!image.startsWith(`${host}/`)) return undefined;
  const path = image.slice(host.length + 1).replace(/@.*$/, "");
  return path.replace(/:[^/]*$/, "");
}

/**
 * What one build may do: push and pull its app's image and cache repositories, pull the base images
 * that live on the same registry. Nothing else: another app's repositories are not named.
 */
export function buildAccess(
  host: string,
  repository: string,
  cacheRepository: string,
  baseImages: readonly string[],
): RepositoryAccess[] {
  const own = [repository, cacheRepository].map((r) => repositoryOn(host, r) ?? r);
  const bases = baseImages.map((image) => repositoryOn(host, image)).filter((r): r is string => !!r);
  return [
    ...own.map((name) => ({ name, actions: ["pull", "push"] as const })),
    ...[...new Set(bases)]
      .filter((b) => !own.includes(b))
      .map((name) => ({ name, actions: ["pull"] as const })),
  ];
}

/** A Docker config whose only credential is the token, as Kaniko reads it (`registrytoken` → Bearer). */
export function dockerConfigWithToken(host: string, token: string): string {
  return JSON.stringify({ auths: { [host]: { registrytoken: token } } });
}

/** A fingerprint of the token for logs: never the token itself. */
export function tokenFingerprint(token: string): string {
  return createHash("sha256").update(token).digest("hex").slice(0, 12);
}
