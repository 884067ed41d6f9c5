/** A domain's status as the API shows it (the `domains` table's `status`). */
export type DomainStatus = "pending" | "active" | "error";

export interface DomainState {
  readonly status: DomainStatus;
  /** What the user should do or know: the DNS record to create, or why issuance failed. */
  readonly detail: string;
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

export interface DomainTarget {
  readonly hostname: string;
  /** The app's own host (`<app>.<apps domain>`): what a CNAME points at. */
  readonly appHost: string;
}

/** The DNS record that makes a domain reach the app; said while the certificate is not issued yet. */
export function dnsInstruction(target: DomainTarget): string {
  const apex = target.hostname.split(".").length === 2;
  const record = apex
    ? `an A (or ALIAS) record for ${target.hostname} to the address ${target.appHost} resolves to`
    : `a CNAME record for ${target.hostname} to ${target.appHost}`;
  return `Create ${record}; the certificate is issued once the name reaches the cluster (served over HTTP until then)`;
}

/**
 * The domain's status from its Certificate's conditions: Ready=True is `active`; the `Issuing` condition
 * False with reason `Failed` (cert-manager's "failed to complete and will be retried: <ACME reason>") is
 * `error` with that message; anything else, a missing Certificate included, is `pending`.
 */
export function domainStateOf(cert: CertificateStatusView | undefined, target: DomainTarget): DomainState {
  const conditions = cert?.status?.conditions ?? [];
  const ready = conditions.find((c) => c.type === "Ready");
  if (ready?.status === "True") {
    const until = cert?.status?.notAfter ? `, valid until ${cert.status.notAfter}` : "";
    return { status: "active", detail: `Certificate issued${until}; HTTP redirects to HTTPS` };
  }
  const issuing = conditions.find((c) => c.type === "Issuing");
  if (issuing?.status === "False" && issuing.reason === "Failed") {
    return {
      status: "error",
      detail: `${issuing.message ?? "Issuing the certificate failed"} (${dnsInstruction(target)})`,
    };
  }
  return { status: "pending", detail: dnsInstruction(target) };
}
