// Composition root of the deploy controller in Kubernetes mode (one Deployment, one replica: ADR 0101):
// config → PostgreSQL → RabbitMQ → outbox relay → converge every app to the database, then consume DEPLOY.
// The relay is needed here because progress (`deploying`, `live`, `failed`) is written as a row plus an
// INFORM outbox row in one transaction; the api's relay would publish it too, only up to a poll later.
import { createBus } from "@kli8nt/bus";
import { messageTypeOf } from "@kli8nt/core";
import { IN_MEMORY, loadSecretKey, OutboxRelay, openDatabase, SecretBox } from "@kli8nt/db";
import { pino } from "pino";
import { loadClusterAddonSettings } from "./addons/config.ts";
import { loadKubernetesDeployControllerConfig } from "./config.ts";
import { registryOptions } from "./registry-auth.ts";
import { registryImages } from "./registry-images.ts";
import { startKubernetesDeployController } from "./start-kubernetes-deploy-controller.ts";

async function main(): Promise<void> {
  const config = loadKubernetesDeployControllerConfig();
  const logger = pino({ level: config.logLevel, base: { component: "deploy-controller" } });
  const database = await openDatabase({
    url: config.databaseUrl,
    dataDir: IN_MEMORY,
    poolSize: 5,
    onIdleError: (err) => logger.warn({ err }, "Lost an idle database connection"),
  });
  const box = new SecretBox(loadSecretKey(config.secretKey, IN_MEMORY));
  const bus = await createBus(
    { kind: "rabbitmq", url: config.rabbitmqUrl },
    logger.child({ component: "bus" }),
  );
  const relay = new OutboxRelay(
    database.db,
    (m) =>
      bus.publish(m.queue, { id: m.messageId, type: messageTypeOf(m.payload, m.queue), body: m.payload }),
    { onError: (err) => logger.warn({ err }, "Outbox relay failed; will retry") },
  );
  relay.start();
  const controller = await startKubernetesDeployController({
    bus,
    db: database.db,
    box,
    kubeconfig: config.kubeconfig,
    settings: config.settings,
    logger,
    onOutboxWrite: () => relay.kick(),
    resyncMs: config.resyncMs,
    residues: config.registry ? [registryImages(registryOptions(config.registry))] : [],
    addons: loadClusterAddonSettings(config.settings.podPlacement),
    ingressMetrics: config.ingressMetrics,
  });
  logger.info(
    { namespacePrefix: config.settings.namespacePrefix, resyncMs: config.resyncMs },
    "Started deploy controller",
  );

  // Stop consuming first (in-flight deploys finish and write their outcome), then publish what they wrote.
  const shutdown = async (signal: string) => {
    logger.info({ signal }, "Shutting down");
    await controller.stop();
    await relay.flush();
    await relay.stop();
    await bus.close();
    await database.close();
  };
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      shutdown(signal).then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, "Shutdown failed");
          process.exit(1);
        },
      );
    });
  }
}

// A bad configuration or an unreachable dependency at start: one line saying which, exit 1 (the pod restarts).
main().catch((error: unknown) => {
  process.stderr.write(
    `kli8nt deploy controller failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
