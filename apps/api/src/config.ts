import path from "node:path";
import { type EnvSource, envSettings, loadEnvConfig } from "@kli8nt/core";
import { resolveGitHubEndpoints } from "@kli8nt/github";
import { type KafkaSecurity, kafkaSecurityEnv, kafkaSecurityFrom } from "@kli8nt/logstore";
import { z } from "zod";
import { formationConfigOf, formationEnv } from "./limits/formation-limits.ts";

const url = (what: string) =>
  z
    .url({ protocol: /^https?$/, message: `${what} must be an http(s) URL` })
    .transform((v) => v.replace(/\/+$/, ""));

/** A comma-separated list of GitHub names, compared case-insensitively as GitHub does. */
const commaList = (what: string) =>
  z
    .string()
    .regex(
      /^\s*[A-Za-z0-9-]+(\s*,\s*[A-Za-z0-9-]+)*\s*,?\s*$/,
      `${what} is a comma-separated list of GitHub names`,
    )
    .transform((v) =>
      v
        .split(",")
        .map((name) => name.trim().toLowerCase())
        .filter(Boolean),
    )
    .optional();

/** Every KLI8NT_* variable the api reads. With none set, the embedded defaults run. */
const fields = z.object({
  KLI8NT_HOST: z.string().min(1).default("127.0.0.1"),
  KLI8NT_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  KLI8NT_DATA_DIR: z.string().min(1).default("./.kli8nt"),
  KLI8NT_DATABASE_URL: envSettings.postgresUrl().optional(),
  KLI8NT_SECRET_KEY: z.string().min(1).optional(),
  KLI8NT_ADMIN_TOKEN: z.string().min(32, "KLI8NT_ADMIN_TOKEN must be at least 32 characters").optional(),
  // Cluster mode: the build controller's bearer token for /internal/v1/… (ADR 0118); unset, no such routes.
  KLI8NT_INTERNAL_TOKEN: z
    .string()
    .min(32, "KLI8NT_INTERNAL_TOKEN must be at least 32 characters")
    .optional(),
  // Cluster mode: /internal/v1/… on this port only, which the chart's Ingress does not route (ADR 0124).
  // Unset: on KLI8NT_PORT, for a single machine, where nothing else reaches the api.
  KLI8NT_INTERNAL_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  KLI8NT_PUBLIC_URL: url("KLI8NT_PUBLIC_URL").optional(),
  KLI8NT_APP_URL_TEMPLATE: z
    .string()
    .includes("{app}", { message: "KLI8NT_APP_URL_TEMPLATE must contain {app}" })
    .optional(),
  // Read here too so the default app URL names the port the single-machine router really listens on.
  KLI8NT_ROUTER_PORT: z.coerce.number().int().min(1).max(65535).default(8000),
  KLI8NT_LOG_LEVEL: envSettings.logLevel(),
  KLI8NT_ALLOW_LOCAL_REPOS: envSettings.boolean().default(false),
  KLI8NT_SESSION_TTL_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 90)
    .default(24 * 7),
  // Unset: the in-process bus and the file log store (single machine). Set: RabbitMQ / Kafka.
  KLI8NT_RABBITMQ_URL: envSettings.amqpUrl().optional(),
  KLI8NT_KAFKA_BROKERS: z
    .string()
    .regex(/^[^,\s]+(,[^,\s]+)*$/, "KLI8NT_KAFKA_BROKERS is a comma-separated host:port list")
    .optional(),
  // The log controller writes with the same prefix: one topic per app, `<prefix><app id>`.
  KLI8NT_KAFKA_TOPIC_PREFIX: z.string().min(1).default("kli8nt.logs."),
  // TLS and SASL towards Kafka: the same names the log controller reads (ADR 0144).
  ...kafkaSecurityEnv,
  KLI8NT_GITHUB_URL: url("KLI8NT_GITHUB_URL").default("https://github.com"),
  KLI8NT_GITHUB_API_URL: url("KLI8NT_GITHUB_API_URL").optional(),
  KLI8NT_GITHUB_CLIENT_ID: z.string().min(1).optional(),
  KLI8NT_GITHUB_CLIENT_SECRET: z.string().min(1).optional(),
  // Who may sign in with GitHub (ADR 0133): members of these orgs, these logins. Neither: the first user
  // to sign in, then those an administrator approves.
  KLI8NT_GITHUB_ALLOWED_ORGS: commaList("KLI8NT_GITHUB_ALLOWED_ORGS"),
  KLI8NT_GITHUB_ALLOWED_USERS: commaList("KLI8NT_GITHUB_ALLOWED_USERS"),
  // Limits (ADR 0134): requests per minute per credential (or per address without one), sign-in attempts
  // per minute per address, apps per user, open WebSockets per user.
  KLI8NT_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(1200),
  KLI8NT_SIGN_IN_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(60),
  KLI8NT_MAX_APPS_PER_USER: z.coerce.number().int().min(0).default(50),
  KLI8NT_MAX_SOCKETS_PER_USER: z.coerce.number().int().min(1).default(20),
  // Formation and cron limits and default sizes (ADR 0190).
  ...formationEnv,
  KLI8NT_GITHUB_WEBHOOK_SECRET: z
    .string()
    .min(16, "KLI8NT_GITHUB_WEBHOOK_SECRET must be at least 16 characters")
    .optional(),
  // E-mail notifications (ADR 0186): smtp(s)://user:pass@host:port; unset, e-mail destinations fail.
  KLI8NT_SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, "KLI8NT_SMTP_URL must be an smtp:// or smtps:// URL")
    .optional(),
  KLI8NT_SMTP_FROM: z.string().min(3).default("Kli8nt <kli8nt@localhost>"),
  // Webhook and Slack destinations on loopback or private addresses (ADR 0233): off, tenants type them.
  KLI8NT_NOTIFY_PRIVATE_NETWORKS: z.enum(["true", "false"]).default("false"),
});

const configSchema = fields
  .refine(
    (env) => (env.KLI8NT_GITHUB_CLIENT_ID === undefined) === (env.KLI8NT_GITHUB_CLIENT_SECRET === undefined),
    {
      message: "set both KLI8NT_GITHUB_CLIENT_ID and KLI8NT_GITHUB_CLIENT_SECRET, or neither",
      path: ["KLI8NT_GITHUB_CLIENT_SECRET"],
    },
  )
  .refine(
    (env) => env.KLI8NT_INTERNAL_TOKEN === undefined || env.KLI8NT_INTERNAL_TOKEN !== env.KLI8NT_ADMIN_TOKEN,
    {
      message:
        "KLI8NT_INTERNAL_TOKEN must differ from KLI8NT_ADMIN_TOKEN (one must not open the other's routes)",
      path: ["KLI8NT_INTERNAL_TOKEN"],
    },
  )
  .refine((env) => env.KLI8NT_INTERNAL_PORT === undefined || env.KLI8NT_INTERNAL_TOKEN !== undefined, {
    message: "KLI8NT_INTERNAL_PORT serves the routes of KLI8NT_INTERNAL_TOKEN: set the token too",
    path: ["KLI8NT_INTERNAL_PORT"],
  })
  .refine(
    (env) =>
      env.KLI8NT_INTERNAL_PORT === undefined ||
      env.KLI8NT_INTERNAL_PORT === 0 ||
      env.KLI8NT_INTERNAL_PORT !== env.KLI8NT_PORT,
    {
      message: "KLI8NT_INTERNAL_PORT must differ from KLI8NT_PORT (the public one)",
      path: ["KLI8NT_INTERNAL_PORT"],
    },
  )
  .transform((env, ctx) => {
    const kafka = kafkaSecurityFrom(env);
    for (const message of kafka.issues) ctx.addIssue({ code: "custom", message });
    return settingsOf(env, kafka.security);
  });

function settingsOf(env: z.output<typeof fields>, kafkaSecurity: KafkaSecurity) {
  return {
    host: env.KLI8NT_HOST,
    port: env.KLI8NT_PORT,
    dataDir: path.resolve(env.KLI8NT_DATA_DIR),
    databaseUrl: env.KLI8NT_DATABASE_URL,
    secretKey: env.KLI8NT_SECRET_KEY,
    adminToken: env.KLI8NT_ADMIN_TOKEN,
    internalToken: env.KLI8NT_INTERNAL_TOKEN,
    internalPort: env.KLI8NT_INTERNAL_PORT,
    publicUrl: env.KLI8NT_PUBLIC_URL ?? `http://${env.KLI8NT_HOST}:${env.KLI8NT_PORT}`,
    browserOrigins: browserOrigins(env.KLI8NT_PUBLIC_URL, env.KLI8NT_HOST, env.KLI8NT_PORT),
    appUrlTemplate: env.KLI8NT_APP_URL_TEMPLATE ?? `http://{app}.localhost:${env.KLI8NT_ROUTER_PORT}`,
    logLevel: env.KLI8NT_LOG_LEVEL,
    allowLocalRepositories: env.KLI8NT_ALLOW_LOCAL_REPOS,
    sessionTtlMs: env.KLI8NT_SESSION_TTL_HOURS * 3_600_000,
    bus: env.KLI8NT_RABBITMQ_URL
      ? ({ kind: "rabbitmq", url: env.KLI8NT_RABBITMQ_URL } as const)
      : ({ kind: "memory" } as const),
    kafkaBrokers: env.KLI8NT_KAFKA_BROKERS?.split(","),
    kafkaTopicPrefix: env.KLI8NT_KAFKA_TOPIC_PREFIX,
    kafkaSecurity,
    github: {
      ...resolveGitHubEndpoints({ url: env.KLI8NT_GITHUB_URL, apiUrl: env.KLI8NT_GITHUB_API_URL }),
      clientId: env.KLI8NT_GITHUB_CLIENT_ID,
      clientSecret: env.KLI8NT_GITHUB_CLIENT_SECRET,
      webhookSecret: env.KLI8NT_GITHUB_WEBHOOK_SECRET,
      allowedOrgs: env.KLI8NT_GITHUB_ALLOWED_ORGS ?? [],
      allowedUsers: env.KLI8NT_GITHUB_ALLOWED_USERS ?? [],
    },
    notifications: {
      smtpUrl: env.KLI8NT_SMTP_URL,
      smtpFrom: env.KLI8NT_SMTP_FROM,
      allowPrivateNetworks: env.KLI8NT_NOTIFY_PRIVATE_NETWORKS === "true",
    },
    formation: formationConfigOf(env),
    limits: {
      requestsPerMinute: env.KLI8NT_RATE_LIMIT_PER_MINUTE,
      signInsPerMinute: env.KLI8NT_SIGN_IN_RATE_LIMIT_PER_MINUTE,
      appsPerUser: env.KLI8NT_MAX_APPS_PER_USER,
      socketsPerUser: env.KLI8NT_MAX_SOCKETS_PER_USER,
    },
  };
}

const LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "[::1]"];

/**
 * Origins whose pages may use the session cookie to write or open sockets (ADR 0130): the public URL's.
 * Without KLI8NT_PUBLIC_URL on a loopback host (a newcomer's `npm start`), the dashboard is as much
 * http://localhost:8080 as http://127.0.0.1:8080, so each loopback name of that port counts.
 */
function browserOrigins(publicUrl: string | undefined, host: string, port: number): readonly string[] {
  if (publicUrl !== undefined) return [new URL(publicUrl).origin];
  const loopback = LOOPBACK_HOSTS.includes(host) || host === "::1";
  return loopback
    ? LOOPBACK_HOSTS.map((name) => `http://${name}:${port}`)
    : [new URL(`http://${host.includes(":") ? `[${host}]` : host}:${port}`).origin];
}

export type ApiConfig = Readonly<z.output<typeof configSchema>>;

/**
 * Reads the configuration once, at start. `<NAME>_FILE` may point at a file holding a secret's value
 * (Kubernetes Secrets mounted as files). Every bad variable is reported in one ConfigError (core).
 */
export function loadConfig(env: EnvSource = process.env): ApiConfig {
  return loadEnvConfig("api", configSchema, env);
}
