import { join } from "node:path";
import { createBus } from "@kli8nt/bus";
import { messageTypeOf } from "@kli8nt/core";
import { createFileLogStore, createKafkaLogStore, type LogStore } from "@kli8nt/logstore";
import { createAddonService, loadAddonsConfig } from "./addons/config.ts";
import { loadConfig } from "./config.ts";
import { failDeadLettered } from "./inform/fail-dead-lettered.ts";
import { startInformConsumer } from "./inform/inform-consumer.ts";
import { createLogger } from "./logger.ts";
import { startApi } from "./server.ts";

/**
 * Composition root of the api process: config, logger, adapters, signals. In cluster mode
 * (KLI8NT_RABBITMQ_URL, KLI8NT_KAFKA_BROKERS) the controllers run as their own processes: the api
 * publishes BUILD through the outbox, follows INFORM, and serves the logs the log controller wrote to Kafka.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const addonsConfig = loadAddonsConfig();
  const logger = createLogger(config.logLevel);
  const bus = await createBus(config.bus, logger.child({ component: "bus" }));
  const logs: LogStore = config.kafkaBrokers
    ? createKafkaLogStore({
        brokers: config.kafkaBrokers,
        topicPrefix: config.kafkaTopicPrefix,
        security: config.kafkaSecurity,
      })
    : createFileLogStore({ dataDir: join(config.dataDir, "logs") });
  const api = await startApi(
    config,
    logger,
    (m) =>
      bus.publish(m.queue, { id: m.messageId, type: messageTypeOf(m.payload, m.queue), body: m.payload }),
    {
      logs,
      addons: (d) =>
        createAddonService(addonsConfig, { ...d, logger: logger.child({ component: "addons" }) }),
    },
  );
  const inform = await startInformConsumer({
    db: api.db,
    bus,
    logger,
    github: { config, db: api.db, box: api.box, logger: logger.child({ component: "github" }) },
    // The controllers' progress reaches the browsers on /api/events (ADR 0096).
    events: api.events,
    notify: api.notifyDeployment,
  });
  // A BUILD or DEPLOY message the bus gave up on fails its deployment with the reason (ADR 0163).
  const sweep = setInterval(() => {
    failDeadLettered(api.db, bus, logger)
      .then((failed) => failed.length > 0 && api.kickOutbox())
      .catch((err: unknown) => logger.warn({ err }, "Dead-letter sweep failed"));
  }, 30_000);
  sweep.unref();
  logger.info(
    {
      url: api.url,
      internalUrl: api.internalUrl,
      bus: config.bus.kind,
      logs: config.kafkaBrokers ? "kafka" : "file",
    },
    "Kli8nt api listening",
  );
  const stop = async (signal: string) => {
    logger.info({ signal }, "Shutting down");
    clearInterval(sweep);
    await inform.cancel();
    await api.close();
    await bus.close();
    await logs.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop("SIGINT"));
  process.once("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `kli8nt api failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
