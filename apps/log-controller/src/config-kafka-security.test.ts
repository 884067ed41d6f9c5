import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kafkaClientSecurity } from "@kli8nt/logstore";
import { describe, expect, it } from "vitest";
import { loadLogControllerConfig } from "./config.ts";

// Kafka with TLS and SASL (issue 19, docs/adr/0144): the variables the chart sets reach kafkajs.
const required = {
  KLI8NT_KAFKA_BROKERS: "kafka-0:9093",
  KLI8NT_DATABASE_URL: "postgres://k@db/kli8nt",
  KLI8NT_SECRET_KEY: "ab".repeat(32),
};
const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

describe("log controller Kafka security", () => {
  it("is plaintext without the variables (the test broker)", () => {
    expect(loadLogControllerConfig(required).kafkaSecurity).toEqual({});
    expect(kafkaClientSecurity(loadLogControllerConfig(required).kafkaSecurity)).toEqual({});
  });

  it("reads TLS with a CA and SCRAM credentials, the password and CA from mounted files", () => {
    const dir = mkdtempSync(join(tmpdir(), "kafka-sec-"));
    writeFileSync(join(dir, "password"), "s3cret-pass\n");
    writeFileSync(join(dir, "ca.crt"), PEM);
    const config = loadLogControllerConfig({
      ...required,
      KLI8NT_KAFKA_TLS: "true",
      KLI8NT_KAFKA_TLS_CA_FILE: join(dir, "ca.crt"),
      KLI8NT_KAFKA_SASL_MECHANISM: "scram-sha-512",
      KLI8NT_KAFKA_SASL_USERNAME: "kli8nt-log-controller",
      KLI8NT_KAFKA_SASL_PASSWORD_FILE: join(dir, "password"),
    });
    expect(config.kafkaSecurity).toEqual({
      tls: { ca: PEM.trim() },
      sasl: { mechanism: "scram-sha-512", username: "kli8nt-log-controller", password: "s3cret-pass" },
    });
    expect(kafkaClientSecurity(config.kafkaSecurity)).toEqual({
      ssl: { rejectUnauthorized: true, ca: [PEM.trim()] },
      sasl: { mechanism: "scram-sha-512", username: "kli8nt-log-controller", password: "s3cret-pass" },
    });
  });

  it("refuses half a configuration, and PLAIN without TLS, naming the variable", () => {
    const load = (extra: Record<string, string>) => () => loadLogControllerConfig({ ...required, ...extra });
    expect(load({ KLI8NT_KAFKA_SASL_MECHANISM: "scram-sha-256", KLI8NT_KAFKA_SASL_USERNAME: "u" })).toThrow(
      /KLI8NT_KAFKA_SASL_MECHANISM: needs KLI8NT_KAFKA_SASL_USERNAME and KLI8NT_KAFKA_SASL_PASSWORD/,
    );
    expect(
      load({
        KLI8NT_KAFKA_SASL_MECHANISM: "plain",
        KLI8NT_KAFKA_SASL_USERNAME: "u",
        KLI8NT_KAFKA_SASL_PASSWORD: "p",
      }),
    ).toThrow(/plain sends the password in clear text/);
    expect(load({ KLI8NT_KAFKA_SASL_USERNAME: "u" })).toThrow(/name the mechanism/);
    expect(load({ KLI8NT_KAFKA_TLS_CA: PEM })).toThrow(/set KLI8NT_KAFKA_TLS=true/);
    expect(load({ KLI8NT_KAFKA_TLS: "true", KLI8NT_KAFKA_TLS_CA: "not a pem" })).toThrow(
      /KLI8NT_KAFKA_TLS_CA/,
    );
    expect(load({ KLI8NT_KAFKA_SASL_MECHANISM: "gssapi" })).toThrow(/KLI8NT_KAFKA_SASL_MECHANISM/);
  });
});
