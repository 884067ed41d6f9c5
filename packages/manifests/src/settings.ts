import type { ControllerRbacOptions } from "./rbac.ts";

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

/** Where app pods may send traffic (docs/adr/0142). */
export interface EgressSettings {
  /**
   * CIDRs app pods may not reach, besides link-local (always denied): the cluster's pod and Service
   * ranges (so the platform namespace, Kafka and every other in-cluster service), and any private
   * network the platform's services live on. IPv4 and IPv6 entries may be mixed.
   */
  readonly deniedCidrs: readonly string[];
  /** The cluster DNS: the only in-cluster destination apps may reach outside their own namespace. */
  readonly dnsNamespace: string;
  readonly dnsPodLabels: Readonly<Record<string, string>>;
}

/** A toleration of app pods, as in a pod spec. */
export interface PodToleration {
  readonly key?: string;
  readonly operator?: "Equal" | "Exists";
  readonly value?: string;
  readonly effect?: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

/** Where app pods may run, e.g. a tainted node pool kept for apps. Unset: anywhere the scheduler picks. */
export interface PodPlacement {
  readonly nodeSelector?: Readonly<Record<string, string>>;
  readonly tolerations?: readonly PodToleration[];
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
  readonly egress: EgressSettings;
  /** Node selector and tolerations of every app pod. */
  readonly podPlacement?: PodPlacement;
  /**
   * The deploy controller's ServiceAccount: when set, each app namespace gets a RoleBinding granting it
   * the app role there, since its ClusterRole writes nothing inside namespaces (docs/adr/0141). Unset
   * for a controller running with wider rights of its own (an admin kubeconfig).
   */
  readonly controller?: ControllerRbacOptions;
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
  egress: {
    // RFC 1918 + carrier-grade NAT: where clusters put pods and Services, and where Kafka and the
    // platform's databases usually are. An operator whose apps must reach a private service lists less.
    deniedCidrs: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"],
    dnsNamespace: "kube-system",
    dnsPodLabels: { "k8s-app": "kube-dns" },
  },
};

export function resolveSettings(input: ManifestSettingsInput): ManifestSettings {
  return { ...DEFAULT_SETTINGS, ...input };
}
