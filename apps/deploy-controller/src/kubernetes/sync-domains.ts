import {
  ANNOTATION_HOSTNAME,
  appNames,
  LABEL_APP,
  LABEL_CUSTOM_DOMAIN,
  type ManifestApp,
  type ManifestSettings,
  renderCustomDomain,
} from "@kli8nt/manifests";
import type { KubernetesObject } from "@kubernetes/client-node";
import {
  type AcmeChallenge,
  type AcmeOrder,
  type CertificateView,
  failingChallenge,
  withChallenge,
} from "./domain-challenges.ts";
import { type CertificateStatusView, type DomainState, domainStateOf, sameState } from "./domain-status.ts";
import { applyObject, describeApiError, httpStatusOf, isTransient, type KubeApi } from "./kube-api.ts";

/** A custom domain row as the reconciler needs it (the `domains` table). */
export interface DomainRow {
  readonly appId: string;
  readonly hostname: string;
  readonly status: DomainState["status"];
  readonly detail: string | null;
  readonly notAfter: Date | null;
}

/** An app whose web Service exists (a live release with `web`), with its domain rows. */
export interface DomainApp {
  readonly app: ManifestApp;
  readonly domains: readonly DomainRow[];
}

export interface DomainUpdate extends DomainState {
  readonly appId: string;
  readonly hostname: string;
}

type Certificate = KubernetesObject &
  CertificateStatusView &
  CertificateView & { spec?: { dnsNames?: string[] } };

/** Options of a pass; `now` and the grace are injected by tests. */
export interface SyncOptions {
  readonly now?: Date;
  /** How long a failing challenge keeps a domain `pending` before it shows `error`. */
  readonly challengeGraceMs?: number;
}

const SELECTOR = `${LABEL_CUSTOM_DOMAIN}=true`;
// List items carry no apiVersion and kind, so every call names them.
const CERTIFICATE = { apiVersion: "cert-manager.io/v1", kind: "Certificate" } as const;
const INGRESS = { apiVersion: "networking.k8s.io/v1", kind: "Ingress" } as const;
const SECRET = { apiVersion: "v1", kind: "Secret" } as const;
const ORDER = { apiVersion: "acme.cert-manager.io/v1", kind: "Order" } as const;
const CHALLENGE = { apiVersion: "acme.cert-manager.io/v1", kind: "Challenge" } as const;

type Kind = { readonly apiVersion: string; readonly kind: string };

/** What one pass reads from the cluster, in one namespace or cluster-wide. */
interface Listed {
  readonly certificates: readonly Certificate[];
  readonly ingresses: readonly KubernetesObject[];
  readonly orders: readonly AcmeOrder[];
  readonly challenges: readonly AcmeChallenge[];
}

/**
 * One pass over every app's custom domains (docs/adr/0223): lists the domain Ingresses and Certificates
 * cluster-wide once, applies each row's objects (TLS once its Certificate is Ready), deletes objects whose
 * row is gone, and returns the rows whose status or detail changed. Level-triggered: run any number of times.
 */
export async function syncDomains(
  api: KubeApi,
  settings: ManifestSettings,
  apps: readonly DomainApp[],
  options: SyncOptions = {},
): Promise<DomainUpdate[]> {
  // No app serves web: nothing to apply, and no namespace whose domain objects could be stale.
  if (apps.length === 0) return [];
  return converge(api, settings, apps, await listDomainObjects(api, undefined), options);
}

/**
 * The same convergence for one app (docs/adr/0224): an AppChanged or a deploy gone live enqueues it, and
 * only its namespace is listed and pruned.
 */
export async function syncAppDomains(
  api: KubeApi,
  settings: ManifestSettings,
  app: DomainApp,
  options: SyncOptions = {},
): Promise<DomainUpdate[]> {
  const namespace = appNames(app.app, settings).namespace;
  return converge(api, settings, [app], await listDomainObjects(api, namespace), options);
}

async function converge(
  api: KubeApi,
  settings: ManifestSettings,
  apps: readonly DomainApp[],
  listed: Listed,
  options: SyncOptions,
): Promise<DomainUpdate[]> {
  const { certificates, ingresses } = listed;
  // Keyed by namespace: another installation's apps (another prefix) on the same cluster are not ours.
  const namespaces = new Set(apps.map((a) => appNames(a.app, settings).namespace));
  const wanted = new Set(
    apps.flatMap((a) => a.domains.map((d) => `${appNames(a.app, settings).namespace}/${d.hostname}`)),
  );
  const updates: DomainUpdate[] = [];
  const now = options.now ?? new Date();
  for (const a of apps) updates.push(...(await syncApp(api, settings, a, listed, now, options)));
  // Objects of a removed row. An app that is gone loses its namespace; one without web keeps them.
  const stale = (o: KubernetesObject) => {
    const ns = o.metadata?.namespace ?? "";
    const host = o.metadata?.annotations?.[ANNOTATION_HOSTNAME] ?? "";
    return (
      namespaces.has(ns) && o.metadata?.labels?.[LABEL_APP] !== undefined && !wanted.has(`${ns}/${host}`)
    );
  };
  for (const o of ingresses.filter(stale)) await deleteObject(api, INGRESS, o);
  for (const o of certificates.filter(stale)) {
    await deleteObject(api, CERTIFICATE, o);
    // cert-manager keeps a deleted Certificate's Secret; the key is ours to remove.
    const name = `${o.metadata?.name ?? ""}-tls`;
    await deleteObject(api, SECRET, { metadata: { ...o.metadata, name } });
  }
  return updates;
}

/**
 * The domain objects, and the ACME Orders and Challenges only while a Certificate is not Ready (they exist
 * only during issuance). Orders carry the Certificate's labels; Challenges carry none, so they are listed
 * unfiltered, and only when one of our Orders exists.
 */
async function listDomainObjects(api: KubeApi, namespace: string | undefined): Promise<Listed> {
  const [certificates, ingresses] = await Promise.all([
    listObjects<Certificate>(api, CERTIFICATE, namespace, SELECTOR),
    listObjects(api, INGRESS, namespace, SELECTOR),
  ]);
  const issuing = certificates.some((c) => domainStateOf(c).status === "pending");
  const orders = issuing ? await listAcme(api, ORDER, namespace, SELECTOR) : [];
  const challenges = orders.length > 0 ? await listAcme<AcmeChallenge>(api, CHALLENGE, namespace) : [];
  return { certificates, ingresses, orders, challenges };
}

/** Reasons are an addition: without the ACME CRDs or the read grant a domain stays plain `pending`. */
async function listAcme<T extends KubernetesObject>(
  api: KubeApi,
  type: Kind,
  namespace: string | undefined,
  selector?: string,
): Promise<T[]> {
  try {
    return await listObjects<T>(api, type, namespace, selector);
  } catch (error) {
    if (httpStatusOf(error) === 403 || httpStatusOf(error) === 404) return [];
    throw error;
  }
}

async function syncApp(
  api: KubeApi,
  settings: ManifestSettings,
  a: DomainApp,
  listed: Listed,
  now: Date,
  options: SyncOptions,
): Promise<DomainUpdate[]> {
  const names = appNames(a.app, settings);
  const updates: DomainUpdate[] = [];
  for (const row of a.domains) {
    const cert = listed.certificates.find(
      (c) =>
        c.metadata?.namespace === names.namespace &&
        c.metadata?.annotations?.[ANNOTATION_HOSTNAME] === row.hostname,
    );
    const challenge = cert && failingChallenge(cert, listed.orders, listed.challenges);
    let state = withChallenge(domainStateOf(cert), challenge, now, options.challengeGraceMs);
    try {
      const d = renderCustomDomain(
        a.app,
        { hostname: row.hostname, certificateReady: state.status === "active" },
        settings,
      );
      await applyObject(api, d.certificate);
      await applyObject(api, d.ingress);
    } catch (error) {
      state = { status: "error", detail: applyProblem(error), notAfter: null };
    }
    if (!sameState(row, state)) updates.push({ appId: row.appId, hostname: row.hostname, ...state });
  }
  return updates;
}

/** What the user (and the operator) reads when the cluster refused a domain's objects. */
function applyProblem(error: unknown): string {
  if (httpStatusOf(error) === 404)
    return "The cluster has no cert-manager Certificate API: ask the operator to install cert-manager";
  const code = (error as { code?: unknown }).code;
  if (code === "MANIFEST_INPUT_INVALID") return "The hostname is not a valid DNS name";
  return `The cluster refused the domain's objects: ${describeApiError(error)}`;
}

async function listObjects<T extends KubernetesObject>(
  api: KubeApi,
  type: Kind,
  namespace: string | undefined,
  selector?: string,
): Promise<T[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      const list = await api.objects.list<T>(
        type.apiVersion,
        type.kind,
        namespace,
        undefined,
        undefined,
        undefined,
        undefined,
        selector,
      );
      return list.items;
    } catch (error) {
      // No cert-manager CRD: nothing of ours can exist; applying then says so per domain.
      if (httpStatusOf(error) === 404) return [];
      // A CRD just created answers 429 "storage is (re)initializing" for a moment.
      if (attempt >= 5 || !isTransient(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
    }
  }
}

async function deleteObject(api: KubeApi, type: Kind, o: KubernetesObject): Promise<void> {
  const metadata = { name: o.metadata?.name ?? "", namespace: o.metadata?.namespace ?? "" };
  await api.objects.delete({ ...type, metadata }).catch((error: unknown) => {
    if (httpStatusOf(error) !== 404) throw error;
  });
}
