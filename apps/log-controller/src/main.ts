// Composition root of the log controller (one Deployment in Kubernetes mode): config → PostgreSQL (the
// apps' secret values, ADR 0116) → Kafka log store with masking → pod informer → followers. SIGTERM stops
// watching and flushes what was read.
import { IN_MEMORY, loadSecretKey, openDatabase, SecretBox } from "@kli8nt/db";
import { createKafkaLogStore } from "@kli8nt/logstore";
import { KubeConfig } from "@kubernetes/client-node";
import { pino } from "pino";
import { AppSecrets } from "./app-secrets.ts";
import { loadLogControllerConfig } from "./config.ts";
import { LogController } from "./log-controller.ts";
import { maskAppSecrets } from "./mask-app-secrets.ts";

async function main(): Promise<void> {
  const config = loadLogControllerConfig();
  const logger = pino({ level: config.logLevel, base: { component: "log-controller" } });
  const kc = new KubeConfig();
  if (config.kubeconfig) kc.loadFromFile(config.kubeconfig);
  else kc.loadFromCluster();
  // Read-only use: a small pool is plenty (one query per app per cache period).
  const database = await openDatabase({
    url: config.databaseUrl,
    dataDir: IN_MEMORY,
    poolSize: 2,
    onIdleError: (err) => logger.warn({ err }, "Lost an idle database connection"),
  });
  const secrets = new AppSecrets(database.db, new SecretBox(loadSecretKey(config.secretKey, IN_MEMORY)), {
    ttlMs: config.secretCacheMs,
  });
  const kafka = createKafkaLogStore({
    brokers: config.kafkaBrokers,
    topicPrefix: config.topicPrefix,
    security: config.kafkaSecurity,
  });
  const store = maskAppSecrets(kafka, secrets);
  const controller = new LogController({
    kc,
    store,
    logger,
    appIdOf: (name) => secrets.appIdOf(name),
    labelSelector: config.podSelector,
  });
  await controller.start();
  logger.info({}, "Started log controller");

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      void controller
        .stop()
        .then(() => kafka.close())
        .then(() => database.close())
        .then(() => process.exit(0));
    });
  }
}

// A bad configuration or an unreachable dependency at start: one line saying which, exit 1 (the pod restarts).
main().catch((error: unknown) => {
  process.stderr.write(
    `kli8nt log controller failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
