// Composition root of the log controller (one Deployment in Kubernetes mode): config → Kafka log store
// (with secret masking) → pod informer → followers. SIGTERM stops watching and flushes what was read.
import { createKafkaLogStore, withSecretMasking } from "@kli8nt/logstore";
import { KubeConfig } from "@kubernetes/client-node";
import { pino } from "pino";
import { loadLogControllerConfig } from "./config.ts";
import { LogController } from "./log-controller.ts";

const config = loadLogControllerConfig();
const logger = pino({ level: config.logLevel, base: { component: "log-controller" } });
const kc = new KubeConfig();
if (config.kubeconfig) kc.loadFromFile(config.kubeconfig);
else kc.loadFromCluster();
const kafka = createKafkaLogStore({ brokers: config.kafkaBrokers, topicPrefix: config.topicPrefix });
// App secrets are not known here yet: the api masks env values it owns; this hook is where an
// authenticated lookup of the app's secret values plugs in.
const store = withSecretMasking(kafka, () => []);
const controller = new LogController({ kc, store, logger });
await controller.start();
logger.info({}, "Started log controller");

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    void controller
      .stop()
      .then(() => kafka.close())
      .then(() => process.exit(0));
  });
}
