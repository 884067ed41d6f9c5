import { createSecureContext, type SecureContext } from "node:tls";
import { InputError } from "@kli8nt/core";

/** A custom hostname (issue 25, ADR 0221): the app it serves, and whether HTTP now redirects to HTTPS. */
export interface DomainEntry {
  readonly app: string;
  /** True once the domain has a certificate: plain HTTP requests get a 308 to HTTPS (challenges excepted). */
  readonly https: boolean;
}

/** A PEM certificate chain and its private key. */
export interface DomainCertificatePem {
  readonly chainPem: string;
  readonly keyPem: string;
}

/**
 * The router's custom domains: hostname → app (one map lookup per request of a non-app host; a wildcard
 * `*.example.com` costs a second one only on a miss), the TLS contexts SNI picks from, and the HTTP-01
 * challenge answers the ACME client leaves for the CA. Written by the domains reconciler, read per request.
 */
export class DomainTable {
  readonly #hosts = new Map<string, DomainEntry>();
  readonly #contexts = new Map<string, SecureContext>();
  readonly #challenges = new Map<string, string>();

  /** Adds or replaces a domain; with a certificate it is served over HTTPS and HTTP redirects there. */
  set(hostname: string, app: string, certificate?: DomainCertificatePem): void {
    const name = hostname.toLowerCase();
    if (certificate === undefined) {
      this.#contexts.delete(name);
      this.#hosts.set(name, { app: app.toLowerCase(), https: false });
      return;
    }
    this.#contexts.set(name, secureContextOf(name, certificate));
    this.#hosts.set(name, { app: app.toLowerCase(), https: true });
  }

  delete(hostname: string): void {
    const name = hostname.toLowerCase();
    this.#hosts.delete(name);
    this.#contexts.delete(name);
  }

  /** The domain a (lowercased, port-less) host name belongs to, exactly or by a wildcard. */
  lookup(host: string): DomainEntry | undefined {
    return this.#hosts.get(host) ?? this.#hosts.get(wildcardOf(host));
  }

  /** The TLS context for an SNI server name; undefined refuses the handshake. */
  secureContext(servername: string): SecureContext | undefined {
    const name = servername.toLowerCase();
    return this.#contexts.get(name) ?? this.#contexts.get(wildcardOf(name));
  }

  hostnames(): string[] {
    return [...this.#hosts.keys()];
  }

  setChallenge(token: string, keyAuthorization: string): void {
    this.#challenges.set(token, keyAuthorization);
  }

  deleteChallenge(token: string): void {
    this.#challenges.delete(token);
  }

  challenge(token: string): string | undefined {
    return this.#challenges.get(token);
  }
}

function wildcardOf(host: string): string {
  const dot = host.indexOf(".");
  return dot === -1 ? "" : `*${host.slice(dot)}`;
}

// A bad certificate is refused when written, so the reconciler sees it, not a visitor's failed handshake.
function secureContextOf(hostname: string, certificate: DomainCertificatePem): SecureContext {
  try {
    return createSecureContext({ cert: certificate.chainPem, key: certificate.keyPem });
  } catch (cause) {
    throw new InputError("DOMAIN_CERTIFICATE_INVALID", `the certificate of ${hostname} does not load`, {
      cause,
      details: { hostname },
    });
  }
}
