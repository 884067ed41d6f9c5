import { z } from "zod";

/** The KLI8NT_* variables of the log controller (Kubernetes mode only). */
const schema = z
  .object({
    /** Path of a kubeconfig; unset in a pod, where the in-cluster ServiceAccount is used. */
    KLI8NT_KUBECONFIG: z.string().min(1).optional(),
    KLI8NT_KAFKA_BROKERS: z
      .string()
      .min(1)
      .transform((s) => s.split(",").map((b) => b.trim())),
    KLI8NT_KAFKA_TOPIC_PREFIX: z.string().min(1).default("kli8nt.logs."),
    KLI8NT_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace"]).default("info"),
  })
  .transform((env) => ({
    kubeconfig: env.KLI8NT_KUBECONFIG,
    kafkaBrokers: env.KLI8NT_KAFKA_BROKERS,
    topicPrefix: env.KLI8NT_KAFKA_TOPIC_PREFIX,
    logLevel: env.KLI8NT_LOG_LEVEL,
  }));

export type LogControllerConfig = Readonly<z.output<typeof schema>>;

export function loadLogControllerConfig(env: NodeJS.ProcessEnv = process.env): LogControllerConfig {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`Invalid log controller configuration:\n${lines.join("\n")}`, { cause: result.error });
  }
  return Object.freeze(result.data);
}
