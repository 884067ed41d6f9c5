import { randomBytes } from "node:crypto";
import { failUnderCi } from "@kli8nt/testkit";
import { Kafka, logLevel } from "kafkajs";
import { describe, expect, it } from "vitest";
import { createKafkaLogStore } from "./kafka-log-store.ts";
import { topicName } from "./topic-name.ts";

// A deleted app's log topic is deleted from the test broker (scripts/infra/kafka.sh).
const brokers = process.env.KLI8NT_TEST_KAFKA_BROKERS;
const missing = failUnderCi(
  !brokers,
  "KLI8NT_TEST_KAFKA_BROKERS is not set: the Kafka broker was not started",
);

describe.skipIf(missing)("Kafka LogStore: removeApp", () => {
  it("deletes the app's topic, leaves other apps' topics, and is idempotent", async () => {
    const list = (brokers ?? "").split(",");
    const store = createKafkaLogStore({ brokers: list });
    const admin = new Kafka({ brokers: list, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const [gone, kept] = [`app_${randomBytes(4).toString("hex")}`, `app_${randomBytes(4).toString("hex")}`];
      const line = {
        timestamp: new Date().toISOString(),
        stream: "stdout" as const,
        phase: "run" as const,
        deploymentId: "d1",
        source: "web",
        line: "hello",
      };
      for (const app of [gone, kept]) await store.append(app, [{ ...line, appId: app }]);
      expect(await admin.listTopics()).toEqual(expect.arrayContaining([topicName(gone), topicName(kept)]));

      await store.removeApp?.(gone);
      const topics = await admin.listTopics();
      expect(topics).not.toContain(topicName(gone));
      expect(topics).toContain(topicName(kept));
      await store.removeApp?.(gone);
      await store.removeApp?.(kept);
    } finally {
      await admin.disconnect();
      await store.close();
    }
  }, 60_000);
});
