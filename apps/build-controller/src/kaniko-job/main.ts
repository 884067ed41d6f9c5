// Composition root of the build controller in Kubernetes mode (KLI8NT_BUILDER=kaniko-job): BUILD from
// RabbitMQ (prefetch = the cluster limit, so waiting builds stay in the queue) → one Job per build.
import { createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { createBus } from "@kli8nt/bus";
import { buildRequestedV1 } from "@kli8nt/core";
import { BatchV1Api, KubeConfig } from "@kubernetes/client-node";
import { pino } from "pino";
import { BuildAdmission } from "./build-admission.ts";
import { buildSourceClient } from "./build-source.ts";
import { loadKanikoJobConfig, loadKanikoProcessConfig } from "./config.ts";
import { kanikoBuildHandler } from "./kaniko-build-handler.ts";
import { KanikoJobBuilder } from "./kaniko-job-builder.ts";

const config = loadKanikoJobConfig();
// Per-build registry tokens (docs/adr/0140): the signing key is read once, here, and never logged.
const registryToken = config.registryToken
  ? {
      key: createPrivateKey(readFileSync(config.registryToken.keyFile)),
      certificate: readFileSync(config.registryToken.certFile, "utf8"),
      issuer: config.registryToken.issuer,
      service: config.registryToken.service,
    }
  : undefined;
const settings = { ...config, perBuildRegistryToken: registryToken !== undefined };
const proc = loadKanikoProcessConfig();
const logger = pino({ level: proc.logLevel, base: { component: "build-controller" } });
const kc = new KubeConfig();
if (proc.kubeconfig) kc.loadFromFile(proc.kubeconfig);
else kc.loadFromCluster();
const bus = await createBus({ kind: "rabbitmq", url: proc.rabbitmqUrl }, logger);
const admission = new BuildAdmission(kc.makeApiClient(BatchV1Api), settings);
const builder = new KanikoJobBuilder({ kubeConfig: kc, settings, admission, registryToken });
// Owner, port override and clone token come from the api, never from the bus (ADR 0118).
const source = buildSourceClient({ apiUrl: proc.apiUrl, internalToken: proc.internalToken });
const handle = kanikoBuildHandler({ builder, bus, logger, source });
const consumer = await bus.consume("BUILD", buildRequestedV1, (message) => handle(message), {
  prefetch: settings.clusterLimit,
});
logger.info(
  { namespace: settings.namespace, clusterLimit: settings.clusterLimit, api: proc.apiUrl },
  "Started build controller",
);

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    void consumer
      .cancel()
      .then(() => bus.close())
      .then(() => process.exit(0));
  });
}
