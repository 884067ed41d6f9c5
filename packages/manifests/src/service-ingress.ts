import type { V1Ingress, V1Service } from "@kubernetes/client-node";
import type { ManifestApp } from "./inputs.ts";
import { type AppNames, runSelector } from "./names.ts";
import type { ManifestSettings } from "./settings.ts";

/** The web Service's port, which every Ingress (the app's and its custom domains') routes to. */
export const SERVICE_PORT = 80;

export function renderService(app: ManifestApp, names: AppNames, labels: Record<string, string>): V1Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: names.workload, namespace: names.namespace, labels },
    spec: {
      type: "ClusterIP",
      selector: runSelector(app),
      ports: [{ name: "http", port: SERVICE_PORT, targetPort: "http", protocol: "TCP" }],
    },
  };
}

/** cert-manager's ingress-shim turns the issuer annotation into a Certificate for the TLS secret. */
export function renderIngress(
  names: AppNames,
  labels: Record<string, string>,
  settings: ManifestSettings,
): V1Ingress {
  const issuer = settings.certificateIssuer;
  const issuerAnnotation =
    issuer.kind === "ClusterIssuer" ? "cert-manager.io/cluster-issuer" : "cert-manager.io/issuer";
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: {
      name: names.workload,
      namespace: names.namespace,
      labels,
      annotations: {
        [issuerAnnotation]: issuer.name,
        "nginx.ingress.kubernetes.io/ssl-redirect": "true",
      },
    },
    spec: {
      ingressClassName: settings.ingressClassName,
      tls: [{ hosts: [names.host], secretName: names.tlsSecret }],
      rules: [
        {
          host: names.host,
          http: {
            paths: [
              {
                path: "/",
                pathType: "Prefix",
                backend: { service: { name: names.workload, port: { number: SERVICE_PORT } } },
              },
            ],
          },
        },
      ],
    },
  };
}
