/** A domain's status as the API shows it (the `domains` table's `status`). */
export type DomainStatus = "pending" | "active" | "error";

/**
 * What the reconciler writes into a domain row. As the api reads the row (apps/api domains/dns-advice.ts):
 * `detail` is only the certificate's failure (the issuance's, or a renewal's while still active), never
 * the DNS advice, which the api adds itself.
 */
export interface DomainState {
  readonly status: DomainStatus;
  readonly detail: string | null;
  /** The issued certificate's expiry, when there is one. */
  readonly notAfter: Date | null;
}

interface Condition {
  readonly type?: string;
  readonly status?: string;
  readonly reason?: string;
  readonly message?: string;
}

/** The part of a cert-manager Certificate the status is read from. */
export interface CertificateStatusView {
  readonly status?: { readonly conditions?: readonly Condition[]; readonly notAfter?: string };
}

/**
 * The domain's state from its Certificate's conditions: Ready=True is `active`; the `Issuing` condition
 * False with reason `Failed` (cert-manager's "failed to complete and will be retried: <ACME reason>") is
 * `error` with that message, or stays `active` with it when a certificate is still valid (a failed
 * renewal must not take HTTPS down); anything else, a missing Certificate included, is `pending`.
 */
export function domainStateOf(cert: CertificateStatusView | undefined): DomainState {
  const conditions = cert?.status?.conditions ?? [];
  const ready = conditions.find((c) => c.type === "Ready")?.status === "True";
  const issuing = conditions.find((c) => c.type === "Issuing");
  const failure =
    issuing?.status === "False" && issuing.reason === "Failed"
      ? (issuing.message ?? "issuing the certificate failed")
      : null;
  const notAfter = ready && cert?.status?.notAfter ? new Date(cert.status.notAfter) : null;
  if (ready) return { status: "active", detail: failure, notAfter };
  if (failure) return { status: "error", detail: failure, notAfter: null };
  return { status: "pending", detail: null, notAfter: null };
}

/** True when the row already says what the state says (then nothing is written). */
export function sameState(
  row: { status: string; detail: string | null; notAfter: Date | null },
  state: DomainState,
): boolean {
  return (
    row.status === state.status &&
    row.detail === state.detail &&
    (row.notAfter?.getTime() ?? null) === (state.notAfter?.getTime() ?? null)
  );
}
