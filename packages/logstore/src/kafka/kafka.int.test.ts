import { failUnderCi } from "@kli8nt/testkit";
import { describe } from "vitest";
import { runLogStoreContract } from "../contract.ts";
import { createKafkaLogStore } from "./kafka-log-store.ts";

const brokers = process.env.KLI8NT_TEST_KAFKA_BROKERS;
failUnderCi(!brokers, "KLI8NT_TEST_KAFKA_BROKERS is not set: the Kafka broker was not started");

describe.skipIf(!brokers)("Kafka LogStore", () => {
  runLogStoreContract("kafka", async () => createKafkaLogStore({ brokers: (brokers ?? "").split(",") }));
});
