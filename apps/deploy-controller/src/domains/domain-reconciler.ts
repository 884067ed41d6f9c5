import { WorkQueue } from "@kli8nt/core";
import {
  type Db,
  type DomainRoute,
  type DomainRow,
  domainCertificate,
  domainRoutes,
  findDomain,
  type IssuedCertificate,
  recordCertificate,
  recordDomainFailure,
  type SecretBox,
} from "@kli8nt/db";
import type { DomainTable } from "@kli8nt/router";
import type { Logger } from "pino";
import { needsCertificate, renewalTime, retryDelayMs } from "./renewal.ts";

/** Orders a certificate for a hostname (the ACME issuer, or a test's stand-in CA). */
export interface CertificateIssuer {
  issue(hostname: string): Promise<IssuedCertificate>;
  /** Whether it can validate a wildcard (DNS-01); without, a wildcard is routed over HTTP only. */
  readonly wildcards?: boolean;
}

export interface DomainReconcilerSettings {
  /** Every domain is looked at this often (renewals, rows written by another process). */
  readonly resyncMs: number;
  /** First retry of a failed order; doubles per failure up to `retryMaxMs`. */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
}

// Retries start at 5 minutes: Let's Encrypt allows 5 failed validations per hostname an hour, and a domain
// is usually added before its DNS record exists.
export const DEFAULT_DOMAIN_SETTINGS: DomainReconcilerSettings = {
  resyncMs: 60_000,
  retryBaseMs: 5 * 60_000,
  retryMaxMs: 6 * 3_600_000,
};

export interface DomainReconcilerDeps {
  readonly db: Db;
  readonly box: SecretBox;
  readonly domains: DomainTable;
  readonly issuer: CertificateIssuer;
  readonly logger: Logger;
  readonly settings?: Partial<DomainReconcilerSettings>;
  readonly now?: () => Date;
}

// setTimeout holds at most 2^31-1 ms; a longer wait is cut short and the resync looks again.
const MAX_WAIT_MS = 2_000_000_000;
const DETAIL_MAX = 500;
const WILDCARD_DETAIL =
  "a wildcard certificate needs the DNS-01 challenge: the operator sets KLI8NT_ACME_DNS_HOOK to a program that publishes the TXT record (ADR 0230); until then the wildcard is served over HTTP";

/**
 * Level-triggered custom domains (ADR 0220): the resync puts every domain into the router's table (so it
 * is served over HTTP at once) and each domain's key into the work queue; a reconcile installs the stored
 * certificate, orders a new one when there is none or it is due for renewal, and records a failure with
 * the CA's reason and a backoff.
 */
export class DomainReconciler {
  readonly #d: DomainReconcilerDeps;
  readonly #s: DomainReconcilerSettings;
  readonly #queue: WorkQueue;
  /** What the router's table holds, by domain id: hostname, app and installed certificate serial. */
  readonly #routed = new Map<string, { hostname: string; app: string; serial: string | null }>();
  #timer: NodeJS.Timeout | null = null;
  #resyncing: Promise<void> | null = null;

  constructor(deps: DomainReconcilerDeps) {
    this.#d = deps;
    this.#s = { ...DEFAULT_DOMAIN_SETTINGS, ...deps.settings };
    this.#queue = new WorkQueue({
      reconcile: (id) => this.#reconcile(id),
      onError: (id, err, retryInMs) =>
        deps.logger.warn({ err, domainId: id, retryInMs }, "Domain reconcile failed"),
      workers: 2,
    });
  }

  async start(): Promise<void> {
    await this.resync();
    this.#timer = setInterval(() => this.kick(), this.#s.resyncMs);
    this.#timer.unref();
  }

  /** A domain was added or removed: look again now. */
  kick(): void {
    this.resync().catch((err: unknown) => this.#d.logger.warn({ err }, "Domain resync failed"));
  }

  /** Routes every domain and queues each; forgets removed ones (route and certificate). */
  resync(): Promise<void> {
    this.#resyncing ??= this.#resync().finally(() => {
      this.#resyncing = null;
    });
    return this.#resyncing;
  }

  /** Resolves once no reconcile runs or waits (timers may still be pending). */
  drained(): Promise<void> {
    return this.#queue.drained();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#queue.stop();
  }

  async #resync(): Promise<void> {
    const rows = await domainRoutes(this.#d.db);
    const live = new Set(rows.map((r) => r.id));
    for (const [id, routed] of this.#routed) {
      if (live.has(id)) continue;
      this.#d.domains.delete(routed.hostname);
      this.#routed.delete(id);
      this.#d.logger.info({ hostname: routed.hostname }, "Removed custom domain from the router");
    }
    for (const row of rows) {
      this.#routePlain(row);
      this.#queue.add(row.id);
    }
  }

  /** A new domain (or one moved to another app) is served over HTTP before any certificate exists. */
  #routePlain(route: DomainRoute): void {
    const routed = this.#routed.get(route.id);
    if (routed && routed.app === route.appName) return;
    this.#d.domains.set(route.hostname, route.appName);
    this.#routed.set(route.id, { hostname: route.hostname, app: route.appName, serial: null });
  }

  async #reconcile(id: string): Promise<{ requeueAfterMs?: number } | undefined> {
    const row = await findDomain(this.#d.db, id);
    const routed = this.#routed.get(id);
    if (!row || !routed) return undefined;
    const now = this.#now();
    if (row.wildcard && this.#d.issuer.wildcards !== true) return this.#unissuable(row, now);
    this.#install(row, routed);
    const current = row.certNotAfter ? { issuedAt: row.certIssuedAt, notAfter: row.certNotAfter } : null;
    if (!needsCertificate(current, now) && current?.notAfter) {
      const renewAt = renewalTime(current.issuedAt ?? now, current.notAfter);
      return this.#after(renewAt.getTime() - now.getTime());
    }
    if (row.nextAttemptAt && row.nextAttemptAt > now) {
      return this.#after(row.nextAttemptAt.getTime() - now.getTime());
    }
    return this.#order(row, routed, now);
  }

  /** A wildcard without a DNS-01 hook: routed over HTTP, and its row says what the operator can do. */
  async #unissuable(row: DomainRow, now: Date): Promise<undefined> {
    if (row.status === "error" && row.detail === WILDCARD_DETAIL) return undefined;
    await recordDomainFailure(this.#d.db, row.id, {
      detail: WILDCARD_DETAIL,
      attempts: 0,
      nextAttemptAt: now,
      keepActive: false,
    });
    return undefined;
  }

  /** Puts the stored certificate into the router's SNI table, once per serial. */
  #install(row: DomainRow, routed: { hostname: string; app: string; serial: string | null }): void {
    if (row.certSerial === null || routed.serial === row.certSerial) return;
    const cert = domainCertificate(this.#d.box, row);
    if (!cert) return;
    this.#d.domains.set(row.hostname, routed.app, cert);
    routed.serial = row.certSerial;
  }

  async #order(
    row: DomainRow,
    routed: { hostname: string; app: string; serial: string | null },
    now: Date,
  ): Promise<{ requeueAfterMs: number }> {
    const { logger } = this.#d;
    try {
      logger.info({ hostname: row.hostname, renewal: row.certSerial !== null }, "Ordering certificate");
      const cert = await this.#d.issuer.issue(row.hostname);
      await recordCertificate(this.#d.db, this.#d.box, row.id, cert);
      this.#d.domains.set(row.hostname, routed.app, cert);
      routed.serial = cert.serial;
      logger.info(
        { hostname: row.hostname, notAfter: cert.notAfter, serial: cert.serial },
        "Issued certificate",
      );
      return this.#after(renewalTime(cert.issuedAt, cert.notAfter).getTime() - this.#now().getTime());
    } catch (error) {
      const attempts = row.attempts + 1;
      const delay = retryDelayMs(attempts, this.#s.retryBaseMs, this.#s.retryMaxMs);
      const detail = reasonOf(error);
      const stillValid = row.certNotAfter !== null && row.certNotAfter > now;
      await recordDomainFailure(this.#d.db, row.id, {
        detail,
        attempts,
        nextAttemptAt: new Date(now.getTime() + delay),
        keepActive: stillValid,
      });
      logger.warn(
        { hostname: row.hostname, attempts, retryInMs: delay, reason: detail },
        "Certificate order failed",
      );
      return this.#after(delay);
    }
  }

  #after(ms: number): { requeueAfterMs: number } {
    return { requeueAfterMs: Math.min(Math.max(ms, 0), MAX_WAIT_MS) };
  }

  #now(): Date {
    return this.#d.now?.() ?? new Date();
  }
}

/** The CA's reason (acme-client puts the problem's detail in the message), one line, bounded. */
function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s+/g, " ").trim().slice(0, DETAIL_MAX) || "the certificate order failed";
}
