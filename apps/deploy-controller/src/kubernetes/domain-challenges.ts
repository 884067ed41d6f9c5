import type { KubernetesObject } from "@kubernetes/client-node";
import type { DomainState } from "./domain-status.ts";

/** cert-manager's ACME Order: it carries its CertificateRequest's annotations (certificate name, revision). */
export type AcmeOrder = KubernetesObject;

/** cert-manager's ACME Challenge, owned by its Order; `status.reason` says why it has not passed yet. */
export type AcmeChallenge = KubernetesObject & {
  readonly spec?: { readonly dnsName?: string };
  readonly status?: { readonly state?: string; readonly reason?: string };
};

/** The part of a Certificate that names its current Order: its namespace, name and issued revision. */
export type CertificateView = KubernetesObject & { readonly status?: { readonly revision?: number } };

const CERTIFICATE_NAME = "cert-manager.io/certificate-name";
const CERTIFICATE_REVISION = "cert-manager.io/certificate-revision";

/** How long a challenge may keep failing before the domain shows `error` (and `domain.error` fires). */
export const CHALLENGE_GRACE_MS = 10 * 60_000;
const REASON_MAX = 500;

const createdAt = (o: KubernetesObject): number => {
  const at = o.metadata?.creationTimestamp as Date | string | undefined;
  return at === undefined ? Number.NaN : new Date(at).getTime();
};

/**
 * The failing Challenge of the Certificate's current Order: the newest Order cert-manager made for the
 * revision being issued (status.revision + 1), and a Challenge it owns that is not valid and has a reason.
 * Challenges of earlier revisions' Orders are stale and not read.
 */
export function failingChallenge(
  cert: CertificateView,
  orders: readonly AcmeOrder[],
  challenges: readonly AcmeChallenge[],
): AcmeChallenge | undefined {
  const namespace = cert.metadata?.namespace;
  const revision = String((cert.status?.revision ?? 0) + 1);
  const current = orders
    .filter(
      (o) =>
        o.metadata?.namespace === namespace &&
        o.metadata?.annotations?.[CERTIFICATE_NAME] === cert.metadata?.name &&
        o.metadata?.annotations?.[CERTIFICATE_REVISION] === revision,
    )
    .sort((a, b) => createdAt(b) - createdAt(a))[0];
  const order = current?.metadata?.name;
  if (order === undefined) return undefined;
  return challenges.find(
    (c) =>
      c.metadata?.namespace === namespace &&
      (c.metadata?.ownerReferences ?? []).some((r) => r.kind === "Order" && r.name === order) &&
      c.status?.state !== "valid" &&
      (c.status?.reason ?? "").trim() !== "",
  );
}

/**
 * A pending domain with a failing challenge: `pending` with the challenge's reason while the challenge is
 * younger than the grace, then `error` (cert-manager retries a self check for ever without failing the
 * request, so the user would never hear of it otherwise). Other states are returned as they are.
 */
export function withChallenge(
  state: DomainState,
  challenge: AcmeChallenge | undefined,
  now: Date,
  graceMs: number = CHALLENGE_GRACE_MS,
): DomainState {
  if (state.status !== "pending" || !challenge) return state;
  const reason = (challenge.status?.reason ?? "").replace(/\s+/g, " ").trim().slice(0, REASON_MAX);
  const age = now.getTime() - createdAt(challenge);
  if (age >= graceMs) {
    // A stable text (no running count of minutes): the row is written only when it changes.
    const minutes = Math.round(graceMs / 60_000);
    return {
      status: "error",
      detail: `the ACME challenge has not passed for over ${minutes} minutes: ${reason}`,
      notAfter: null,
    };
  }
  return { status: "pending", detail: reason, notAfter: null };
}
