import { describe, it } from "vitest";
import { runLogStoreContract } from "../contract.ts";
import { createKafkaLogStore } from "./kafka-log-store.ts";

const brokers = process.env.KLI8NT_TEST_KAFKA_BROKERS;
if (!brokers && process.env.CI === "true") {
  describe("Kafka LogStore", () => {
    it("needs KLI8NT_TEST_KAFKA_BROKERS (start it with scripts/infra/kafka.sh)", () => {
      throw new Error("KLI8NT_TEST_KAFKA_BROKERS is not set: the Kafka broker was not started");
    });
  });
}

describe.skipIf(!brokers)("Kafka LogStore", () => {
  runLogStoreContract("kafka", async () => createKafkaLogStore({ brokers: (brokers ?? "").split(",") }));
});
