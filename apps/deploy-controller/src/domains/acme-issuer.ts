import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { Agent } from "node:https";
import { rootCertificates } from "node:tls";
import { ConfigError } from "@kli8nt/core";
import type { Db, IssuedCertificate, SecretBox } from "@kli8nt/db";
import { loadAcmeAccount, saveAcmeAccount } from "@kli8nt/db";
import * as acme from "acme-client";

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
}

/**
 * Orders certificates from one ACME directory with acme-client (HTTP-01 only), under one account whose key
 * is created once and kept encrypted in the database, so a restart reuses it.
 */
export class AcmeIssuer {
  readonly #o: AcmeIssuerOptions;
  #client: Promise<acme.Client> | null = null;

  constructor(options: AcmeIssuerOptions) {
    this.#o = options;
  }

  async issue(hostname: string): Promise<IssuedCertificate> {
    const client = await this.#account();
    const key = await acme.crypto.createPrivateEcdsaKey("P-256");
    const [, csr] = await acme.crypto.createCsr({ commonName: hostname, altNames: [hostname] }, key);
    const { challenges } = this.#o;
    const chainPem = await client.auto({
      csr,
      challengePriority: ["http-01"],
      termsOfServiceAgreed: true,
      // The CA's own validation is the one that counts; a pre-check from here would need our own DNS view.
      skipChallengeVerification: true,
      challengeCreateFn: async (_authz, challenge, keyAuthorization) =>
        challenges.setChallenge(challenge.token, keyAuthorization),
      challengeRemoveFn: async (_authz, challenge) => challenges.deleteChallenge(challenge.token),
    });
    return certificateFacts(chainPem, key.toString("utf8"));
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
