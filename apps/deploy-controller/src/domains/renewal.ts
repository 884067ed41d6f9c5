const DAY_MS = 86_400_000;

/** When a certificate is renewed: a third of its lifetime before it ends, or 30 days, whichever is less. */
export function renewalTime(issuedAt: Date, notAfter: Date): Date {
  const lifetime = notAfter.getTime() - issuedAt.getTime();
  const before = Math.min(lifetime / 3, 30 * DAY_MS);
  return new Date(notAfter.getTime() - before);
}

/** Whether a domain needs a (new) certificate now. */
export function needsCertificate(
  cert: { issuedAt: Date | null; notAfter: Date | null } | null,
  now: Date,
): boolean {
  if (cert === null || cert.notAfter === null) return true;
  const issuedAt = cert.issuedAt ?? new Date(cert.notAfter.getTime() - 90 * DAY_MS);
  return now.getTime() >= renewalTime(issuedAt, cert.notAfter).getTime();
}

/**
 * How long after its `attempts`-th consecutive failure an order is tried again: `baseMs` doubling, capped
 * at `maxMs` (Let's Encrypt limits failed validations to 5 per hour per hostname).
 */
export function retryDelayMs(attempts: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempts - 1, 0), 20));
}
