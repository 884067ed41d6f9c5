import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadKubernetesDeployControllerConfig, loadKubernetesRuntimeConfig } from "./config.ts";

describe("loadKubernetesRuntimeConfig", () => {
  it("builds the manifest settings from KLI8NT_* variables, with defaults", () => {
    const config = loadKubernetesRuntimeConfig({
      KLI8NT_APPS_DOMAIN: "apps.example.com",
      KLI8NT_CERT_ISSUER: "Issuer/internal-ca",
      KLI8NT_RESYNC_SECONDS: "30",
    });
    expect(config).toEqual({
      kubeconfig: undefined,
      resyncMs: 30_000,
      settings: {
        appsDomain: "apps.example.com",
        namespacePrefix: "kli8nt-app-",
        ingressClassName: "nginx",
        ingressControllerNamespace: "ingress-nginx",
        certificateIssuer: { kind: "Issuer", name: "internal-ca" },
        progressDeadlineSeconds: 300,
        egress: {
          deniedCidrs: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"],
          dnsNamespace: "kube-system",
          dnsPodLabels: { "k8s-app": "kube-dns" },
        },
      },
    });
  });

  it("reads the app egress settings: denied CIDRs and the cluster DNS", () => {
    const config = loadKubernetesRuntimeConfig({
      KLI8NT_APPS_DOMAIN: "apps.example.com",
      KLI8NT_APP_EGRESS_DENIED_CIDRS: "10.96.0.0/12, 10.244.0.0/16,fd00:10::/64",
      KLI8NT_DNS_NAMESPACE: "dns",
      KLI8NT_DNS_POD_SELECTOR: "app.kubernetes.io/name=coredns,tier=dns",
      KLI8NT_K8S_SERVICE_ACCOUNT: "kli8nt/rel-deploy-controller",
    });
    expect(config.settings.controller).toEqual({ namespace: "kli8nt", name: "rel-deploy-controller" });
    expect(config.settings.egress).toEqual({
      deniedCidrs: ["10.96.0.0/12", "10.244.0.0/16", "fd00:10::/64"],
      dnsNamespace: "dns",
      dnsPodLabels: { "app.kubernetes.io/name": "coredns", tier: "dns" },
    });
    expect(() =>
      loadKubernetesRuntimeConfig({
        KLI8NT_APPS_DOMAIN: "apps.example.com",
        KLI8NT_APP_EGRESS_DENIED_CIDRS: "10.0.0.0/8,everything",
      }),
    ).toThrow(/KLI8NT_APP_EGRESS_DENIED_CIDRS/);
  });

  it("reports every bad variable in one error", () => {
    expect(() =>
      loadKubernetesRuntimeConfig({
        KLI8NT_CERT_ISSUER: "letsencrypt",
        KLI8NT_PROGRESS_DEADLINE_SECONDS: "1",
      }),
    ).toThrow(/KLI8NT_APPS_DOMAIN[\s\S]*KLI8NT_CERT_ISSUER[\s\S]*KLI8NT_PROGRESS_DEADLINE_SECONDS/);
  });
});

describe("loadKubernetesDeployControllerConfig", () => {
  const key = Buffer.alloc(32, 7).toString("base64");

  it("adds the database, RabbitMQ, secret key (also from a _FILE) and log level to the runtime settings", () => {
    const dir = mkdtempSync(join(tmpdir(), "kdc-config-"));
    writeFileSync(join(dir, "key"), `${key}\n`);
    const config = loadKubernetesDeployControllerConfig({
      KLI8NT_APPS_DOMAIN: "apps.example.com",
      KLI8NT_DATABASE_URL: "postgres://k@db/kli8nt",
      KLI8NT_RABBITMQ_URL: "amqp://mq",
      KLI8NT_SECRET_KEY_FILE: join(dir, "key"),
    });
    expect(config).toMatchObject({
      databaseUrl: "postgres://k@db/kli8nt",
      rabbitmqUrl: "amqp://mq",
      secretKey: key,
      logLevel: "info",
      resyncMs: 60_000,
      settings: { appsDomain: "apps.example.com" },
    });
  });

  it("reports the bad variables of both parts in one error", () => {
    expect(() =>
      loadKubernetesDeployControllerConfig({
        KLI8NT_RABBITMQ_URL: "http://mq",
        KLI8NT_SECRET_KEY: "too-short",
      }),
    ).toThrow(
      /KLI8NT_APPS_DOMAIN[\s\S]*KLI8NT_DATABASE_URL[\s\S]*KLI8NT_RABBITMQ_URL[\s\S]*KLI8NT_SECRET_KEY/,
    );
  });
});
