import { type Admin, Kafka, type KafkaConfig, logLevel } from "kafkajs";
import type { LogBackend, LogCursor } from "../backend.ts";
import { createLogStore } from "../create-log-store.ts";
import { LogStoreError } from "../errors.ts";
import type { LogStore } from "../logstore.ts";
import { BatchingProducer } from "./batching-producer.ts";
import { openKafkaCursor } from "./kafka-cursor.ts";
import { type KafkaSecurity, kafkaClientSecurity } from "./kafka-security.ts";
import { encodeValue } from "./record-value.ts";
import { topicName } from "./topic-name.ts";

export type KafkaLogStoreOptions = {
  readonly brokers: readonly string[];
  readonly clientId?: string;
  readonly topicPrefix?: string;
  /** Replication factor of new topics; -1 takes the broker's default. */
  readonly replicationFactor?: number;
  /** Topic retention (retention.ms); default 7 days, as the file adapter. */
  readonly retentionMs?: number;
  /** TLS and SASL (see kafkaSecurityEnv for the variables that set them). */
  readonly security?: KafkaSecurity;
  /** Extra kafkajs settings; they win over `security`. */
  readonly kafka?: Partial<KafkaConfig>;
};

/** The production LogStore: one single-partition topic per app (see ADR 0031). */
export function createKafkaLogStore(options: KafkaLogStoreOptions): LogStore {
  const kafka = new Kafka({
    clientId: options.clientId ?? "kli8nt-logstore",
    brokers: [...options.brokers],
    logLevel: logLevel.NOTHING,
    // Long enough to ride out a broker restart without failing appends.
    retry: { retries: 12, initialRetryTime: 200, maxRetryTime: 5_000 },
    ...kafkaClientSecurity(options.security),
    ...options.kafka,
  });
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  const admin = kafka.admin();
  const connected = Promise.all([producer.connect(), admin.connect()]).catch((error: unknown) => {
    throw new LogStoreError("LOGSTORE_UNAVAILABLE", "Could not connect to Kafka", { cause: error });
  });
  connected.catch(() => undefined);
  const batching = new BatchingProducer(producer);
  const topics = new Map<string, Promise<string>>();
  const cursors = new Set<LogCursor>();

  const topicOf = (appId: string): Promise<string> => {
    let topic = topics.get(appId);
    if (topic === undefined) {
      topic = ensureTopic(admin, connected, topicName(appId, options.topicPrefix), options);
      topics.set(appId, topic);
      topic.catch(() => topics.delete(appId));
    }
    return topic;
  };

  const backend: LogBackend = {
    async append(appId, records) {
      const topic = await topicOf(appId);
      return batching.send(
        topic,
        records.map((r) => ({ value: encodeValue(r), timestamp: String(Date.parse(r.timestamp)) })),
      );
    },
    async bounds(appId) {
      const [partition] = await admin.fetchTopicOffsets(await topicOf(appId));
      return { start: Number(partition?.low ?? 0), end: Number(partition?.high ?? 0) };
    },
    openCursor(appId, from) {
      const topic = topicOf(appId);
      const cursor = deferredCursor(topic.then((t) => openKafkaCursor(kafka, admin, t, appId, from)));
      cursors.add(cursor);
      const close = cursor.close;
      return {
        ...cursor,
        close: () => {
          cursors.delete(cursor);
          return close();
        },
      };
    },
    async close() {
      await Promise.allSettled([...cursors].map((c) => c.close()));
      await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
    },
  };
  // A deleted app's topic goes with it. Looked up first: kafkajs retries a delete of an unknown topic.
  const removeApp = async (appId: string): Promise<void> => {
    const topic = topicName(appId, options.topicPrefix);
    topics.delete(appId);
    try {
      await connected;
      if (!(await admin.listTopics()).includes(topic)) return;
      await admin.deleteTopics({ topics: [topic], timeout: 10_000 });
    } catch (error) {
      throw new LogStoreError("LOGSTORE_UNAVAILABLE", `Could not delete the log topic ${topic}`, {
        cause: error,
      });
    }
  };
  return { ...createLogStore(backend), removeApp };
}

async function ensureTopic(
  admin: Admin,
  connected: Promise<unknown>,
  topic: string,
  options: KafkaLogStoreOptions,
): Promise<string> {
  await connected;
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      {
        topic,
        numPartitions: 1,
        replicationFactor: options.replicationFactor ?? -1,
        configEntries: [
          { name: "retention.ms", value: String(options.retentionMs ?? 7 * 24 * 3600 * 1000) },
          // Retention counts from when a line was stored, not from the time the app printed it.
          { name: "message.timestamp.type", value: "LogAppendTime" },
        ],
      },
    ],
  });
  return topic;
}

/** A cursor usable at once whose consumer is still being set up. */
function deferredCursor(inner: Promise<LogCursor>): LogCursor {
  inner.catch(() => undefined);
  let seekTo: number | undefined;
  return {
    take: async (max, opts) => {
      const cursor = await inner;
      if (seekTo !== undefined) cursor.seek(seekTo);
      seekTo = undefined;
      return cursor.take(max, opts);
    },
    seek: (offset) => {
      seekTo = offset;
    },
    close: async () => (await inner.catch(() => undefined))?.close(),
  };
}
