import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { Agent } from "node:https";
import { rootCertificates } from "node:tls";
import { ConfigError } from "@kli8nt/core";
import type { Db, IssuedCertificate, SecretBox } from "@kli8nt/db";
import { loadAcmeAccount, saveAcmeAccount } from "@kli8nt/db";
import * as acme from "acme-client";
import { challengeRecordName, runDnsHook } from "./dns-hook.ts";

/** Where HTTP-01 answers go: the router's challenge store. */
export interface ChallengeStore {
  setChallenge(token: string, keyAuthorization: string): void;
  deleteChallenge(token: string): void;
}

export interface AcmeIssuerOptions {
  readonly db: Db;
  readonly box: SecretBox;
  readonly directoryUrl: string;
  readonly email: string | undefined;
  readonly challenges: ChallengeStore;
  /** Polling of pending orders and challenges (acme-client's backoff). */
  readonly pollMinMs?: number;
  readonly pollMaxMs?: number;
  /** The DNS-01 hook for wildcards (KLI8NT_ACME_DNS_HOOK); without one a wildcard cannot be issued. */
  readonly dnsHook?: string | undefined;
  /** Wait after the hook published the record, for the DNS to carry it to the CA (default 0). */
  readonly dnsPropagationMs?: number;
}

/**
 * Orders certificates from one ACME directory with acme-client, under one account whose key is created
 * once and kept encrypted in the database, so a restart reuses it. Names are validated by HTTP-01 through
 * the router; wildcards, which only DNS-01 can validate, by the operator's DNS hook when one is set.
 */
export class AcmeIssuer {
  readonly #o: AcmeIssuerOptions;
  #client: Promise<acme.Client> | null = null;

  constructor(options: AcmeIssuerOptions) {
    this.#o = options;
  }

  /** Whether wildcards can be issued (a DNS hook is set). */
  get wildcards(): boolean {
    return this.#o.dnsHook !== undefined;
  }

  async issue(hostname: string): Promise<IssuedCertificate> {
    const client = await this.#account();
    const key = await acme.crypto.createPrivateEcdsaKey("P-256");
    const [, csr] = await acme.crypto.createCsr({ commonName: hostname, altNames: [hostname] }, key);
    const chainPem = await client.auto({
      csr,
      termsOfServiceAgreed: true,
      // The CA's own validation is the one that counts; a pre-check from here would need our own DNS view.
      skipChallengeVerification: true,
      ...(hostname.startsWith("*.") ? this.#dns01() : this.#http01()),
    });
    return certificateFacts(chainPem, key.toString("utf8"));
  }

  #http01(): Solver {
    const { challenges } = this.#o;
    return {
      challengePriority: ["http-01"],
      challengeCreateFn: async (_authz, challenge, keyAuthorization) =>
        challenges.setChallenge(challenge.token, keyAuthorization),
      challengeRemoveFn: async (_authz, challenge) => challenges.deleteChallenge(challenge.token),
    };
  }

  /** acme-client hands dns-01 the TXT value (the key authorization's digest) as `keyAuthorization`. */
  #dns01(): Solver {
    const { dnsHook, dnsPropagationMs = 0 } = this.#o;
    if (dnsHook === undefined)
      throw new Error("a wildcard certificate needs a DNS hook (KLI8NT_ACME_DNS_HOOK)");
    const hook = { path: dnsHook };
    return {
      challengePriority: ["dns-01"],
      challengeCreateFn: async (authz, _challenge, value) => {
        await runDnsHook(hook, "present", challengeRecordName(authz.identifier.value), value);
        if (dnsPropagationMs > 0) await new Promise((r) => setTimeout(r, dnsPropagationMs));
      },
      challengeRemoveFn: async (authz, _challenge, value) =>
        runDnsHook(hook, "cleanup", challengeRecordName(authz.identifier.value), value),
    };
  }

  #account(): Promise<acme.Client> {
    this.#client ??= this.#loadOrCreateAccount().catch((error: unknown) => {
      this.#client = null;
      throw error;
    });
    return this.#client;
  }

  async #loadOrCreateAccount(): Promise<acme.Client> {
    const { db, box, directoryUrl, email } = this.#o;
    const backoff = { backoffMin: this.#o.pollMinMs ?? 1000, backoffMax: this.#o.pollMaxMs ?? 10_000 };
    const stored = await loadAcmeAccount(db, box, directoryUrl);
    if (stored?.accountUrl) {
      return new acme.Client({
        directoryUrl,
        accountKey: stored.accountKeyPem,
        accountUrl: stored.accountUrl,
        ...backoff,
      });
    }
    const accountKeyPem =
      stored?.accountKeyPem ?? (await acme.crypto.createPrivateEcdsaKey("P-256")).toString("utf8");
    // Kept before registering: a crash in between registers the same key again, which the CA answers
    // with the existing account.
    if (!stored)
      await saveAcmeAccount(db, box, { directoryUrl, accountKeyPem, accountUrl: null, email: email ?? null });
    const client = new acme.Client({ directoryUrl, accountKey: accountKeyPem, ...backoff });
    await client.createAccount({
      termsOfServiceAgreed: true,
      ...(email ? { contact: [`mailto:${email}`] } : {}),
    });
    await saveAcmeAccount(db, box, {
      directoryUrl,
      accountKeyPem,
      accountUrl: client.getAccountUrl(),
      email: email ?? null,
    });
    return client;
  }
}

type Solver = Pick<acme.ClientAutoOptions, "challengePriority" | "challengeCreateFn" | "challengeRemoveFn">;

/** Serial, issuer and validity of the leaf of a PEM chain. */
export function certificateFacts(chainPem: string, keyPem: string): IssuedCertificate {
  const [leafPem] = acme.crypto.splitPemChain(chainPem);
  const leaf = new X509Certificate(leafPem ?? chainPem);
  const issuer = /CN=([^\n,]+)/.exec(leaf.issuer)?.[1] ?? leaf.issuer;
  return {
    chainPem,
    keyPem,
    issuer,
    serial: leaf.serialNumber,
    issuedAt: new Date(leaf.validFrom),
    notAfter: new Date(leaf.validTo),
  };
}

/**
 * Makes acme-client trust `caFile` besides the public roots (a test or private ACME server's own HTTPS).
 * acme-client has one HTTP client for the process; the platform talks to one ACME directory.
 */
export function trustAcmeCaFile(caFile: string | undefined): void {
  if (caFile === undefined) return;
  let pem: string;
  try {
    pem = readFileSync(caFile, "utf8");
  } catch {
    throw new ConfigError("deploy controller", [
      { path: "KLI8NT_ACME_CA_FILE", message: `${caFile} cannot be read` },
    ]);
  }
  acme.axios.defaults.httpsAgent = new Agent({ ca: [...rootCertificates, pem], keepAlive: true });
}
