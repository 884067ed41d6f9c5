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
      },
    });
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
