/**
 * Platform-wide settings that shape every app's objects. The deploy controller builds this once from its
 * config; `resolveSettings` fills in the defaults so callers only name what they change.
 */
export interface CertificateIssuer {
  /** cert-manager reads `cert-manager.io/cluster-issuer` or `cert-manager.io/issuer` from the Ingress. */
  readonly kind: "ClusterIssuer" | "Issuer";
  readonly name: string;
}

export interface ContainerResources {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu: string; readonly memory: string };
}

export interface NamespaceQuota {
  readonly pods: number;
  readonly requestsCpu: string;
  readonly requestsMemory: string;
  readonly limitsCpu: string;
  readonly limitsMemory: string;
}

export interface ManifestSettings {
  /** Apps are served at `<app>.<appsDomain>`. */
  readonly appsDomain: string;
  /** Prepended to the app name to form its namespace (see docs/adr/0020-one-namespace-per-app.md). */
  readonly namespacePrefix: string;
  readonly ingressClassName: string;
  /** Namespace of the ingress controller: the only source the default-deny NetworkPolicy lets in. */
  readonly ingressControllerNamespace: string;
  readonly certificateIssuer: CertificateIssuer;
  readonly replicas: number;
  readonly progressDeadlineSeconds: number;
  /** Old ReplicaSets kept so a failed rollout can go back to the previous one. */
  readonly revisionHistoryLimit: number;
  readonly resources: ContainerResources;
  readonly quota: NamespaceQuota;
  /** UID/GID the container runs as, so images whose USER is root still pass Pod Security `restricted`. */
  readonly runAsUser: number;
}

export type ManifestSettingsInput = Partial<ManifestSettings> & Pick<ManifestSettings, "appsDomain">;

export const DEFAULT_SETTINGS: Omit<ManifestSettings, "appsDomain"> = {
  namespacePrefix: "kli8nt-app-",
  ingressClassName: "nginx",
  ingressControllerNamespace: "ingress-nginx",
  certificateIssuer: { kind: "ClusterIssuer", name: "letsencrypt" },
  replicas: 1,
  progressDeadlineSeconds: 300,
  revisionHistoryLimit: 10,
  resources: {
    requests: { cpu: "50m", memory: "128Mi" },
    limits: { cpu: "500m", memory: "512Mi" },
  },
  // Room for replicas + one surge pod of the default size, with headroom for a larger override.
  quota: { pods: 10, requestsCpu: "2", requestsMemory: "4Gi", limitsCpu: "4", limitsMemory: "8Gi" },
  runAsUser: 10001,
};

export function resolveSettings(input: ManifestSettingsInput): ManifestSettings {
  return { ...DEFAULT_SETTINGS, ...input };
}
