import { type EnvSource, envSettings, loadEnvConfig } from "@kli8nt/core";
import { kafkaSecurityEnv, kafkaSecurityFrom } from "@kli8nt/logstore";
import { z } from "zod";

/** The KLI8NT_* variables of the log controller (Kubernetes mode only). */
const fields = z.object({
  /** Path of a kubeconfig; unset in a pod, where the in-cluster ServiceAccount is used. */
  KLI8NT_KUBECONFIG: z.string().min(1).optional(),
  KLI8NT_KAFKA_BROKERS: z
    .string()
    .min(1)
    .transform((s) => s.split(",").map((b) => b.trim())),
  KLI8NT_KAFKA_TOPIC_PREFIX: z.string().min(1).default("kli8nt.logs."),
  // TLS and SASL towards Kafka (KLI8NT_KAFKA_TLS, _TLS_CA[_FILE], _SASL_MECHANISM, _SASL_USERNAME,
  // _SASL_PASSWORD[_FILE]): tenant pods must not be able to write other apps' logs (docs/adr/0144).
  ...kafkaSecurityEnv,
  /** Which pods to follow; it must require `kli8nt.io/app`. Default: every Kli8nt pod. */
  KLI8NT_LOG_POD_SELECTOR: z
    .string()
    .regex(/(^|,)kli8nt\.io\/app($|[=!,])/, "KLI8NT_LOG_POD_SELECTOR must select on kli8nt.io/app")
    .default("kli8nt.io/app"),
  // The app's secret values are read from the database and decrypted with the api's key (ADR 0116).
  KLI8NT_DATABASE_URL: envSettings.postgresUrl(),
  KLI8NT_SECRET_KEY: envSettings.secretKey(),
  KLI8NT_SECRET_CACHE_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  KLI8NT_LOG_LEVEL: envSettings.logLevel(),
});

const schema = fields.transform((env, ctx) => {
  const kafka = kafkaSecurityFrom(env);
  for (const message of kafka.issues) ctx.addIssue({ code: "custom", message });
  return { ...settingsOf(env), kafkaSecurity: kafka.security };
});

function settingsOf(env: z.output<typeof fields>) {
  return {
    kubeconfig: env.KLI8NT_KUBECONFIG,
    kafkaBrokers: env.KLI8NT_KAFKA_BROKERS,
    topicPrefix: env.KLI8NT_KAFKA_TOPIC_PREFIX,
    podSelector: env.KLI8NT_LOG_POD_SELECTOR,
    databaseUrl: env.KLI8NT_DATABASE_URL,
    secretKey: env.KLI8NT_SECRET_KEY,
    secretCacheMs: env.KLI8NT_SECRET_CACHE_SECONDS * 1000,
    logLevel: env.KLI8NT_LOG_LEVEL,
  };
}

export type LogControllerConfig = Readonly<z.output<typeof schema>>;

/** Reads the configuration once; `<NAME>_FILE` reads a value from a file (mounted Kubernetes Secrets). */
export function loadLogControllerConfig(env: EnvSource = process.env): LogControllerConfig {
  return loadEnvConfig("log controller", schema, env);
}
