import { randomUUID } from "node:crypto";
import { ConflictError, NotFoundError } from "@kli8nt/core";
import { and, asc, eq } from "drizzle-orm";
import type { Db } from "./database.ts";
import { sqlStateOf, UNIQUE_VIOLATION } from "./pg-errors.ts";
import { acmeAccounts, apps, domains } from "./schema.ts";
import type { SecretBox } from "./secret-box.ts";

export type DomainRow = typeof domains.$inferSelect;
export type DomainStatus = DomainRow["status"];

/** A custom hostname and the app it serves: what the router's alias table is built from. */
export interface DomainRoute {
  readonly id: string;
  readonly hostname: string;
  readonly appName: string;
  readonly status: DomainStatus;
}

/** A stored certificate, decrypted: for the router's SNI table and nothing else. */
export interface DomainCertificate {
  readonly chainPem: string;
  readonly keyPem: string;
}

/** What the ACME reconciler records after a successful order. */
export interface IssuedCertificate extends DomainCertificate {
  readonly issuer: string;
  readonly serial: string;
  readonly issuedAt: Date;
  readonly notAfter: Date;
}

const chainContext = (id: string) => `domain:${id}:chain`;
const keyContext = (id: string) => `domain:${id}:key`;
const accountContext = (directoryUrl: string) => `acme-account:${directoryUrl}`;

/** Records a new domain in `pending`. The hostname is already normalised; 409 when any app holds it. */
export async function createDomain(
  db: Db,
  appId: string,
  hostname: string,
  wildcard: boolean,
): Promise<DomainRow> {
  const id = `dom_${randomUUID().replaceAll("-", "")}`;
  try {
    const [row] = await db.insert(domains).values({ id, appId, hostname, wildcard }).returning();
    if (!row) throw new Error("insert returned no row");
    return row;
  } catch (error) {
    if (sqlStateOf(error) === UNIQUE_VIOLATION) {
      // Which app holds it is not said: it may be another user's.
      throw new ConflictError("DOMAIN_TAKEN", `${hostname} is already attached to an app`, {
        cause: error,
        details: { hostname },
      });
    }
    throw error;
  }
}

export function listDomains(db: Db, appId: string): Promise<DomainRow[]> {
  return db.select().from(domains).where(eq(domains.appId, appId)).orderBy(asc(domains.hostname));
}

export async function findDomain(db: Db, id: string): Promise<DomainRow | undefined> {
  const [row] = await db.select().from(domains).where(eq(domains.id, id));
  return row;
}

export async function allDomainIds(db: Db): Promise<string[]> {
  return (await db.select({ id: domains.id }).from(domains)).map((r) => r.id);
}

/** Every domain with its app's name, for the router. */
export function domainRoutes(db: Db): Promise<DomainRoute[]> {
  return db
    .select({ id: domains.id, hostname: domains.hostname, appName: apps.name, status: domains.status })
    .from(domains)
    .innerJoin(apps, eq(apps.id, domains.appId));
}

/** Removes an app's domain (certificate included); 404 when the app has no such hostname. */
export async function deleteAppDomain(db: Db, appId: string, hostname: string): Promise<DomainRow> {
  const [row] = await db
    .delete(domains)
    .where(and(eq(domains.appId, appId), eq(domains.hostname, hostname)))
    .returning();
  if (!row) {
    throw new NotFoundError("DOMAIN_NOT_FOUND", `No domain ${hostname} on this app`, {
      details: { hostname },
    });
  }
  return row;
}

/** Stores a new certificate encrypted, marks the domain active and resets its retry backoff. */
export async function recordCertificate(
  db: Db,
  box: SecretBox,
  id: string,
  cert: IssuedCertificate,
): Promise<void> {
  await db
    .update(domains)
    .set({
      status: "active",
      detail: null,
      certChainEnc: box.encrypt(cert.chainPem, chainContext(id)),
      certKeyEnc: box.encrypt(cert.keyPem, keyContext(id)),
      certIssuer: cert.issuer,
      certSerial: cert.serial,
      certIssuedAt: cert.issuedAt,
      certNotAfter: cert.notAfter,
      attempts: 0,
      nextAttemptAt: null,
      updatedAt: new Date(),
    })
    .where(eq(domains.id, id));
}

/**
 * A failed order: `error` with the CA's reason, unless a still-valid certificate keeps the domain `active`
 * (a failed renewal must not take HTTPS down); the detail says what failed either way.
 */
export async function recordDomainFailure(
  db: Db,
  id: string,
  failure: { detail: string; attempts: number; nextAttemptAt: Date; keepActive: boolean },
): Promise<void> {
  await db
    .update(domains)
    .set({
      ...(failure.keepActive ? {} : { status: "error" as const }),
      detail: failure.detail,
      attempts: failure.attempts,
      nextAttemptAt: failure.nextAttemptAt,
      updatedAt: new Date(),
    })
    .where(eq(domains.id, id));
}

/** The certificate of a domain, decrypted; null when it has none yet. */
export function domainCertificate(box: SecretBox, row: DomainRow): DomainCertificate | null {
  if (row.certChainEnc === null || row.certKeyEnc === null) return null;
  return {
    chainPem: box.decrypt(row.certChainEnc, chainContext(row.id)),
    keyPem: box.decrypt(row.certKeyEnc, keyContext(row.id)),
  };
}

/** The stored ACME account of a directory, its key decrypted; undefined before the first order. */
export async function loadAcmeAccount(
  db: Db,
  box: SecretBox,
  directoryUrl: string,
): Promise<{ accountKeyPem: string; accountUrl: string | null } | undefined> {
  const [row] = await db.select().from(acmeAccounts).where(eq(acmeAccounts.directoryUrl, directoryUrl));
  if (!row) return undefined;
  return {
    accountKeyPem: box.decrypt(row.accountKeyEnc, accountContext(directoryUrl)),
    accountUrl: row.accountUrl,
  };
}

/** Stores (or replaces) the account of a directory, its key encrypted. */
export async function saveAcmeAccount(
  db: Db,
  box: SecretBox,
  account: { directoryUrl: string; accountKeyPem: string; accountUrl: string | null; email: string | null },
): Promise<void> {
  const values = {
    directoryUrl: account.directoryUrl,
    accountKeyEnc: box.encrypt(account.accountKeyPem, accountContext(account.directoryUrl)),
    accountUrl: account.accountUrl,
    email: account.email,
  };
  await db
    .insert(acmeAccounts)
    .values(values)
    .onConflictDoUpdate({
      target: acmeAccounts.directoryUrl,
      set: { ...values, updatedAt: new Date() },
    });
}
