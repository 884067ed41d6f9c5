import { describe, expect, it } from "vitest";
import { renderApp } from "./render-app.ts";
import { resolveSettings } from "./settings.ts";

const app = { id: "app_1", name: "shop" };
const release = { deploymentId: "dep_1", image: `r.example/shop@sha256:${"a".repeat(64)}`, port: 3000 };

describe("renderEgressPolicy", () => {
  it("splits denied ranges by family and always denies link-local and the metadata addresses", () => {
    const settings = resolveSettings({
      appsDomain: "apps.example.com",
      egress: {
        deniedCidrs: ["10.96.0.0/12", "fd00:10::/64"],
        dnsNamespace: "dns",
        dnsPodLabels: { a: "b" },
      },
    });
    const peers =
      renderApp(app, release, settings).egressPolicy.spec?.egress?.flatMap((r) => r.to ?? []) ?? [];
    expect(peers.map((p) => p.ipBlock).filter(Boolean)).toEqual([
      { cidr: "0.0.0.0/0", except: ["169.254.0.0/16", "169.254.169.254/32", "10.96.0.0/12"] },
      { cidr: "::/0", except: ["fe80::/10", "fd00:ec2::254/128", "fd00:10::/64"] },
    ]);
    expect(peers.filter((p) => p.namespaceSelector)).toEqual([
      {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "dns" } },
        podSelector: { matchLabels: { a: "b" } },
      },
    ]);
  });

  it("refuses a denied range that is not a CIDR", () => {
    const settings = resolveSettings({
      appsDomain: "apps.example.com",
      egress: {
        deniedCidrs: ["10.0.0.0/8", "kafka.internal"],
        dnsNamespace: "kube-system",
        dnsPodLabels: {},
      },
    });
    expect(() => renderApp(app, release, settings)).toThrow(/Cannot render Kubernetes objects/);
  });

  it("labels the namespace as Kli8nt's, and grants the controller its app role there when named", () => {
    const controller = { namespace: "kli8nt", name: "kli8nt-deploy-controller" };
    const m = renderApp(app, release, resolveSettings({ appsDomain: "apps.example.com", controller }));
    expect(m.namespace.metadata?.labels?.["kli8nt.io/managed"]).toBe("true");
    expect(m.roleBinding?.roleRef).toEqual({
      apiGroup: "rbac.authorization.k8s.io",
      kind: "ClusterRole",
      name: "kli8nt-deploy-controller-app",
    });
    expect(m.roleBinding?.subjects).toEqual([{ kind: "ServiceAccount", ...controller }]);
    expect(
      renderApp(app, release, resolveSettings({ appsDomain: "apps.example.com" })).roleBinding,
    ).toBeUndefined();
  });
});
