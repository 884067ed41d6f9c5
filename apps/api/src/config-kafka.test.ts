import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.ts";

// The api reads the logs the log controller wrote: it must reach a Kafka that requires TLS and SASL too.
describe("config: Kafka TLS and SASL (ADR 0144)", () => {
  it("reads TLS and SASL with the log controller's names", () => {
    const config = loadConfig({
      KLI8NT_KAFKA_BROKERS: "kafka:9093",
      KLI8NT_KAFKA_TLS: "true",
      KLI8NT_KAFKA_SASL_MECHANISM: "scram-sha-512",
      KLI8NT_KAFKA_SASL_USERNAME: "kli8nt",
      KLI8NT_KAFKA_SASL_PASSWORD: "s3cret",
    });
    expect(config.kafkaSecurity).toEqual({
      tls: {},
      sasl: { mechanism: "scram-sha-512", username: "kli8nt", password: "s3cret" },
    });
    expect(loadConfig({}).kafkaSecurity).toEqual({});
  });

  it("refuses SASL PLAIN without TLS, naming the variable", () => {
    expect(() =>
      loadConfig({
        KLI8NT_KAFKA_SASL_MECHANISM: "plain",
        KLI8NT_KAFKA_SASL_USERNAME: "kli8nt",
        KLI8NT_KAFKA_SASL_PASSWORD: "s3cret",
      }),
    ).toThrow(/KLI8NT_KAFKA_SASL_MECHANISM: plain sends the password in clear text/);
  });
});
