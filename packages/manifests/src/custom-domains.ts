import { createHash } from "node:crypto";
import { type FieldIssue, InputError } from "@kli8nt/core";
import type { KubernetesObject, V1Ingress } from "@kubernetes/client-node";
import type { ManifestApp } from "./inputs.ts";
import { appNames, isDns1123Label, LABEL_APP, LABEL_MANAGED_BY, MANAGED_BY } from "./names.ts";
import { SERVICE_PORT } from "./service-ingress.ts";
import type { ManifestSettings } from "./settings.ts";

/** On a custom domain's Ingress and Certificate: what the domain reconciler lists and prunes by. */
export const LABEL_CUSTOM_DOMAIN = "kli8nt.io/custom-domain";
/** The full hostname (a label value holds only 63 characters; hostnames up to 253). */
export const ANNOTATION_HOSTNAME = "kli8nt.io/hostname";

/** One custom domain of an app, as the cluster should serve it. */
export interface CustomDomainInput {
  /** Lower-case DNS name, or `*.` and one (wildcards need an issuer that can solve DNS-01). */
  readonly hostname: string;
  /**
   * The domain's certificate is issued (its Certificate was Ready when last read). Until then the Ingress
   * serves plain HTTP without a redirect, as on Heroku: the first look and the challenge work at once.
   */
  readonly certificateReady: boolean;
}

/** A cert-manager `cert-manager.io/v1` Certificate: only the fields we render. */
export interface CertificateObject extends KubernetesObject {
  readonly apiVersion: "cert-manager.io/v1";
  readonly kind: "Certificate";
  readonly spec: {
    readonly secretName: string;
    readonly dnsNames: string[];
    readonly issuerRef: { readonly name: string; readonly kind: string; readonly group: string };
    readonly privateKey: { readonly rotationPolicy: "Always" };
  };
}

export interface CustomDomainObjects {
  readonly hostname: string;
  /** Shared by the Ingress and the Certificate; the TLS Secret is `<name>-tls`. */
  readonly name: string;
  readonly tlsSecret: string;
  readonly ingress: V1Ingress;
  readonly certificate: CertificateObject;
}

const HOST_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Room for `-tls` after the name: the Secret name is also kept within a label value's 63. */
const NAME_MAX = 59;

/** The problem with a hostname as a custom domain, or null when it is fine. */
export function customDomainProblem(hostname: string): string | null {
  if (hostname.length > 253) return "must be at most 253 characters";
  if (hostname !== hostname.toLowerCase()) return "must be lower case";
  const labels = hostname.split(".");
  if (labels.length < 2) return "must have at least two labels (www.example.com)";
  const [first, ...rest] = labels;
  if (first !== "*" && !isHostLabel(first ?? "")) return `"${first}" is not a DNS label`;
  const bad = rest.find((l) => !isHostLabel(l));
  if (bad !== undefined) return `"${bad}" is not a DNS label (a-z, 0-9, '-', at most 63)`;
  return null;
}

function isHostLabel(label: string): boolean {
  return label.length <= 63 && HOST_LABEL.test(label);
}

/**
 * `<app>-<host with dots as dashes>-<8 hex of the host>`, within 59 characters: the digest keeps two hosts
 * apart that read alike once dots are dashes (`a-b.c`, `a.b-c`) or once cut to length.
 */
export function customDomainName(app: ManifestApp, hostname: string): string {
  const digest = createHash("sha256").update(hostname).digest("hex").slice(0, 8);
  const readable = hostname.replace(/^\*\./, "wildcard.").replaceAll(".", "-");
  const room = NAME_MAX - app.name.length - digest.length - 2;
  const host = readable.slice(0, Math.max(room, 0)).replace(/-+$/, "");
  const head = app.name.slice(0, NAME_MAX - digest.length - 2).replace(/-+$/, "");
  return host ? `${head}-${host}-${digest}` : `${head}-${digest}`;
}

/**
 * The Ingress and cert-manager Certificate of one custom domain, to the app's web Service. A separate
 * Ingress per domain (docs/adr/0223): a domain refused by the ingress controller, or one whose
 * certificate never issues, leaves the app's own Ingress and its other domains untouched.
 * Throws InputError `MANIFEST_INPUT_INVALID` for a hostname that is not a DNS name.
 */
export function renderCustomDomain(
  app: ManifestApp,
  domain: CustomDomainInput,
  settings: ManifestSettings,
): CustomDomainObjects {
  const problem = customDomainProblem(domain.hostname);
  const issues: FieldIssue[] = [];
  if (problem) issues.push({ path: "domain.hostname", message: problem });
  if (!isDns1123Label(app.name)) issues.push({ path: "app.name", message: "must be a DNS label" });
  if (issues.length > 0) {
    throw new InputError("MANIFEST_INPUT_INVALID", `Cannot render custom domain "${domain.hostname}"`, {
      issues,
      details: { app: app.name },
    });
  }
  const names = appNames(app, settings);
  const name = customDomainName(app, domain.hostname);
  const tlsSecret = `${name}-tls`;
  const metadata = {
    name,
    namespace: names.namespace,
    labels: { [LABEL_APP]: app.name, [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_CUSTOM_DOMAIN]: "true" },
    annotations: { [ANNOTATION_HOSTNAME]: domain.hostname },
  };
  return {
    hostname: domain.hostname,
    name,
    tlsSecret,
    ingress: renderDomainIngress(domain, metadata, names.workload, tlsSecret, settings),
    certificate: {
      apiVersion: "cert-manager.io/v1",
      kind: "Certificate",
      metadata,
      spec: {
        secretName: tlsSecret,
        dnsNames: [domain.hostname],
        issuerRef: { ...settings.certificateIssuer, group: "cert-manager.io" },
        privateKey: { rotationPolicy: "Always" },
      },
    },
  };
}

type Metadata = NonNullable<V1Ingress["metadata"]> & { annotations: Record<string, string> };

/**
 * No issuer annotation: the Certificate is ours, and ingress-shim would make a second one for the same
 * Secret. TLS and the redirect only once the certificate is issued, so HTTP works from the start.
 */
function renderDomainIngress(
  domain: CustomDomainInput,
  metadata: Metadata,
  service: string,
  tlsSecret: string,
  settings: ManifestSettings,
): V1Ingress {
  const redirect = domain.certificateReady ? "true" : "false";
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: {
      ...metadata,
      annotations: { ...metadata.annotations, "nginx.ingress.kubernetes.io/ssl-redirect": redirect },
    },
    spec: {
      ingressClassName: settings.ingressClassName,
      ...(domain.certificateReady ? { tls: [{ hosts: [domain.hostname], secretName: tlsSecret }] } : {}),
      rules: [
        {
          host: domain.hostname,
          http: {
            paths: [
              {
                path: "/",
                pathType: "Prefix",
                backend: { service: { name: service, port: { number: SERVICE_PORT } } },
              },
            ],
          },
        },
      ],
    },
  };
}
