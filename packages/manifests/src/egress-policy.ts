import type { V1NetworkPolicy, V1NetworkPolicyPeer } from "@kubernetes/client-node";
import type { AppNames } from "./names.ts";
import type { ManifestSettings } from "./settings.ts";

/**
 * Always denied, whatever the settings say: link-local (IPv4 169.254.0.0/16 with the cloud metadata
 * address 169.254.169.254, IPv6 fe80::/10) and AWS's IPv6 metadata address. Metadata endpoints hand out
 * the node's cloud credentials.
 */
export const ALWAYS_DENIED_CIDRS = ["169.254.0.0/16", "169.254.169.254/32", "fe80::/10", "fd00:ec2::254/128"];

const isV6 = (cidr: string) => cidr.includes(":");

function internet(deniedCidrs: readonly string[]): V1NetworkPolicyPeer[] {
  const denied = [...new Set([...ALWAYS_DENIED_CIDRS, ...deniedCidrs])];
  return [
    { ipBlock: { cidr: "0.0.0.0/0", except: denied.filter((c) => !isV6(c)) } },
    { ipBlock: { cidr: "::/0", except: denied.filter(isV6) } },
  ];
}

/**
 * Default egress of an app's pods: their own namespace (add-ons), the cluster DNS, and the internet
 * except the denied ranges. Nothing else in the cluster: not the platform namespace (api, controllers),
 * not Kafka, not other apps' pods (they are reached through their public URL), not the metadata address.
 * NetworkPolicies only add allowances, so this one policy is the whole egress of the namespace.
 */
export function renderEgressPolicy(
  names: AppNames,
  labels: Record<string, string>,
  settings: ManifestSettings,
): V1NetworkPolicy {
  const { egress } = settings;
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: names.egressPolicy, namespace: names.namespace, labels },
    spec: {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        { to: [{ podSelector: {} }] },
        {
          to: [
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": egress.dnsNamespace } },
              podSelector: { matchLabels: { ...egress.dnsPodLabels } },
            },
          ],
          ports: [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
          ],
        },
        { to: internet(egress.deniedCidrs) },
      ],
    },
  };
}
