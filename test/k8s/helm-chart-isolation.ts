import {
  DEPLOY_CONTROLLER_APP_RULES,
  deployControllerClusterRules,
  renderControllerAdmissionPolicy,
} from "@kli8nt/manifests";
import type {
  KubernetesObject,
  V1ClusterRole,
  V1Deployment,
  V1NetworkPolicy,
  V1ValidatingAdmissionPolicy,
} from "@kubernetes/client-node";
import { expect, it } from "vitest";
import { loadKanikoJobConfig } from "../../apps/build-controller/src/kaniko-job/config.ts";
import { loadKubernetesDeployControllerConfig } from "../../apps/deploy-controller/src/kubernetes/config.ts";
import { loadLogControllerConfig } from "../../apps/log-controller/src/config.ts";

// Issue 19 in the Helm chart: the controllers' RBAC and admission policy, the build pods' egress and
// runtime class, the app egress settings, Kafka TLS/SASL. Called inside helm-chart.int.test.ts's suite.
interface ChartContext {
  readonly render: (values: readonly string[]) => Promise<KubernetesObject[]>;
  readonly releaseNamespace: string;
  readonly buildNamespace: string;
}

const envOf = (objects: KubernetesObject[], name: string, secrets: Record<string, string> = {}) => {
  const d = objects.find((o): o is V1Deployment => o.kind === "Deployment" && o.metadata?.name === name);
  return Object.fromEntries(
    (d?.spec?.template.spec?.containers[0]?.env ?? []).map((e) => {
      const ref = e.valueFrom?.secretKeyRef;
      return [e.name, ref ? secrets[`${ref.name}/${ref.key}`] : e.value];
    }),
  );
};

export function describeChartIsolation(ctx: ChartContext): void {
  it("grants no controller Secrets or workload writes cluster-wide; the deploy controller's rules are packages/manifests'", async () => {
    const objects = await ctx.render([]);
    const roles = objects.filter((o): o is V1ClusterRole => o.kind === "ClusterRole");
    for (const role of roles.filter((r) => !r.metadata?.name?.endsWith("-app"))) {
      for (const rule of role.rules ?? []) {
        expect(rule.resources ?? [], role.metadata?.name).not.toContain("secrets");
        if (rule.resources?.includes("deployments")) expect(rule.verbs).toEqual(["get", "list", "watch"]);
      }
    }
    const controller = { namespace: ctx.releaseNamespace, name: "rel-deploy-controller" };
    const byName = (name: string) => roles.find((r) => r.metadata?.name === name)?.rules;
    expect(byName("rel-deploy-controller")).toEqual(deployControllerClusterRules(controller));
    expect(byName("rel-deploy-controller-app")).toEqual(DEPLOY_CONTROLLER_APP_RULES);
    // The app role is bound by RoleBindings in app namespaces only, never cluster-wide.
    const bindings = objects.filter((o) => o.kind === "ClusterRoleBinding") as Array<
      KubernetesObject & { roleRef: { name: string } }
    >;
    expect(bindings.map((b) => b.roleRef.name)).not.toContain("rel-deploy-controller-app");
    const env = envOf(objects, "rel-deploy-controller");
    expect(env.KLI8NT_K8S_SERVICE_ACCOUNT).toBe(`${ctx.releaseNamespace}/rel-deploy-controller`);
  });

  it("renders the same controllers' admission policy as packages/manifests (tested on the cluster there)", async () => {
    const objects = await ctx.render([]);
    const policy = objects.find((o) => o.kind === "ValidatingAdmissionPolicy") as V1ValidatingAdmissionPolicy;
    const [expected] = renderControllerAdmissionPolicy({
      name: "rel-controllers",
      namespace: ctx.releaseNamespace,
      deployController: "rel-deploy-controller",
      buildController: "rel-build-controller",
      logController: "rel-log-controller",
      buildNamespace: ctx.buildNamespace,
      namespacePrefix: "kli8nt-app-",
    });
    expect(policy.spec).toEqual(expected.spec);
    const binding = objects.find((o) => o.kind === "ValidatingAdmissionPolicyBinding") as KubernetesObject & {
      spec: unknown;
    };
    expect(binding.spec).toEqual({ policyName: "rel-controllers", validationActions: ["Deny"] });
    const off = await ctx.render(["admissionPolicy.enabled=false"]);
    expect(off.filter((o) => o.kind?.startsWith("ValidatingAdmissionPolicy"))).toEqual([]);
  });

  it("limits build pods' egress to DNS, the registry and the listed hosts, and sets their RuntimeClass", async () => {
    const objects = await ctx.render(["builds.runtimeClassName=gvisor"]);
    const policy = objects.find(
      (o): o is V1NetworkPolicy => o.kind === "NetworkPolicy" && o.metadata?.name === "rel-builds",
    );
    expect(policy?.metadata?.namespace).toBe(ctx.buildNamespace);
    expect(policy?.spec?.podSelector?.matchLabels).toEqual({ "kli8nt.io/phase": "build" });
    expect(policy?.spec?.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(policy?.spec?.ingress).toEqual([]);
    const rules = policy?.spec?.egress ?? [];
    const peers = rules.flatMap((r) => r.to ?? []);
    // DNS; the in-cluster registry of registry.host (registry.kli8nt.svc:5000) on its port; the rest by CIDR.
    expect(peers.map((p) => p.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"])).toEqual([
      "kube-system",
      "kli8nt",
      undefined,
    ]);
    expect(rules[1]?.ports).toEqual([{ protocol: "TCP", port: 5000 }]);
    expect(peers[2]?.ipBlock?.except).toEqual(expect.arrayContaining(["169.254.0.0/16", "10.0.0.0/8"]));
    expect(rules[2]?.ports?.map((p) => p.port)).toEqual([443, 80]);
    const build = envOf(objects, "rel-build-controller");
    expect(build.KLI8NT_BUILD_RUNTIME_CLASS).toBe("gvisor");
    expect(
      loadKanikoJobConfig(build as NodeJS.ProcessEnv & { KLI8NT_KANIKO_IMAGE: string }).runtimeClassName,
    ).toBe("gvisor");
    const closed = await ctx.render(["builds.networkPolicy.enabled=false"]);
    expect(closed.some((o) => o.metadata?.name === "rel-builds")).toBe(false);
  });

  it("gives the build controller the per-build registry token key, mounted read-only, when configured", async () => {
    const objects = await ctx.render(["registry.token.existingSecret=registry-token-issuer"]);
    const build = envOf(objects, "rel-build-controller");
    const config = loadKanikoJobConfig(build as NodeJS.ProcessEnv & { KLI8NT_KANIKO_IMAGE: string });
    expect(config.registryToken).toEqual({
      keyFile: "/var/run/kli8nt/registry-token/tls.key",
      certFile: "/var/run/kli8nt/registry-token/tls.crt",
      issuer: "kli8nt-build-controller",
      service: "kli8nt-registry",
    });
    const d = objects.find(
      (o): o is V1Deployment => o.kind === "Deployment" && o.metadata?.name === "rel-build-controller",
    );
    expect(d?.spec?.template.spec?.volumes).toContainEqual({
      name: "registry-token",
      secret: { secretName: "registry-token-issuer", defaultMode: 0o400 },
    });
    const plain = envOf(await ctx.render([]), "rel-build-controller");
    expect(Object.keys(plain).filter((k) => k.startsWith("KLI8NT_REGISTRY_TOKEN"))).toEqual([]);
  });

  it("refuses an apps domain that is same-site with the dashboard, unless accepted", async () => {
    const refused = (values: string[]) =>
      ctx.render(values).then(
        () => "rendered",
        (e: { stderr: string }) => e.stderr,
      );
    expect(await refused(["appsDomain=apps.example.com"])).toContain(
      "shares the registrable domain example.com with publicUrl",
    );
    expect(await refused(["publicUrl=https://dash.acme.co.uk", "appsDomain=apps.acme.co.uk"])).toContain(
      "acme.co.uk",
    );
    expect(await refused(["publicUrl=https://dash.acme.co.uk", "appsDomain=apps.other.co.uk"])).toBe(
      "rendered",
    );
    expect(await refused(["appsDomain=apps.example.com", "allowSameSiteAppsDomain=true"])).toBe("rendered");
  });

  it("hands the app egress settings to the deploy controller", async () => {
    const objects = await ctx.render([
      "apps.egress.deniedCidrs={10.96.0.0/12,10.244.0.0/16}",
      "apps.egress.dns.namespace=dns",
    ]);
    const env = envOf(objects, "rel-deploy-controller", {
      "rel-platform/secretKey": "ab".repeat(32),
      "rel-platform/databaseUrl": "postgres://kli8nt:pw@db:5432/kli8nt",
      "rel-platform/rabbitmqUrl": "amqp://mq",
    });
    expect(loadKubernetesDeployControllerConfig(env).settings.egress).toEqual({
      deniedCidrs: ["10.96.0.0/12", "10.244.0.0/16"],
      dnsNamespace: "dns",
      dnsPodLabels: { "k8s-app": "kube-dns" },
    });
  });

  it("wires Kafka TLS and SASL into the log controller and the api, secrets by reference", async () => {
    const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
    const objects = await ctx.render([
      "kafka.tls.enabled=true",
      "kafka.tls.caSecret=kafka-ca",
      "kafka.sasl.mechanism=scram-sha-512",
      "kafka.sasl.username=kli8nt",
      "kafka.sasl.existingSecret=kafka-user",
    ]);
    const env = envOf(objects, "rel-log-controller", {
      "kafka-ca/ca.crt": pem,
      "kafka-user/password": "from-the-secret",
      "rel-platform/secretKey": "ab".repeat(32),
      "rel-platform/databaseUrl": "postgres://kli8nt:pw@db:5432/kli8nt",
    });
    expect(loadLogControllerConfig(env).kafkaSecurity).toEqual({
      tls: { ca: pem },
      sasl: { mechanism: "scram-sha-512", username: "kli8nt", password: "from-the-secret" },
    });
    // The api reads those logs back: it needs the same settings.
    const apiEnv = envOf(objects, "rel-api", {
      "kafka-ca/ca.crt": pem,
      "kafka-user/password": "from-the-secret",
    });
    expect(apiEnv.KLI8NT_KAFKA_TLS).toBe("true");
    expect(apiEnv.KLI8NT_KAFKA_SASL_MECHANISM).toBe("scram-sha-512");
    expect(apiEnv.KLI8NT_KAFKA_SASL_PASSWORD).toBe("from-the-secret");
    expect(JSON.stringify(objects)).not.toContain("from-the-secret");
    const missing = await ctx.render(["kafka.sasl.mechanism=scram-sha-512", "kafka.sasl.username=k"]).then(
      () => "rendered",
      (e: { stderr: string }) => e.stderr,
    );
    expect(missing).toContain("kafka.sasl.existingSecret is required");
  });
}
