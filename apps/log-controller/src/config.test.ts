import { describe, expect, it } from "vitest";
import { loadLogControllerConfig } from "./config.ts";

describe("loadLogControllerConfig", () => {
  const required = {
    KLI8NT_KAFKA_BROKERS: "k1:9092, k2:9092",
    KLI8NT_DATABASE_URL: "postgres://k@db/kli8nt",
    KLI8NT_SECRET_KEY: "ab".repeat(32),
  };

  it("reads Kafka, the database and the key the secrets are encrypted with, with defaults", () => {
    expect(loadLogControllerConfig(required)).toMatchObject({
      kafkaBrokers: ["k1:9092", "k2:9092"],
      topicPrefix: "kli8nt.logs.",
      podSelector: "kli8nt.io/app",
      databaseUrl: "postgres://k@db/kli8nt",
      secretCacheMs: 30_000,
      logLevel: "info",
    });
  });

  it("reports every bad variable in one error", () => {
    expect(() =>
      loadLogControllerConfig({
        KLI8NT_KAFKA_BROKERS: "k1:9092",
        KLI8NT_SECRET_KEY: "short",
        KLI8NT_LOG_POD_SELECTOR: "app=x",
      }),
    ).toThrow(/KLI8NT_LOG_POD_SELECTOR[\s\S]*KLI8NT_DATABASE_URL[\s\S]*KLI8NT_SECRET_KEY/);
  });
});
