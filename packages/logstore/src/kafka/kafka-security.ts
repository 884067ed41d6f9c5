import type { KafkaConfig, SASLOptions } from "kafkajs";
import { z } from "zod";

/** How the Kafka clients authenticate and encrypt: TLS (optionally with a private CA) and SASL. */
export interface KafkaSecurity {
  readonly tls?: {
    /** PEM bundle trusted for the brokers' certificates, besides the system's. */
    readonly ca?: string;
    /** Name checked against the brokers' certificates when it differs from the bootstrap host. */
    readonly servername?: string;
  };
  readonly sasl?: {
    readonly mechanism: "plain" | "scram-sha-256" | "scram-sha-512";
    readonly username: string;
    readonly password: string;
  };
}

/**
 * The `KLI8NT_KAFKA_*` security variables, to spread into a component's config schema (the api and the
 * log controller read the same names). `KLI8NT_KAFKA_SASL_PASSWORD` and `KLI8NT_KAFKA_TLS_CA` may come
 * from `_FILE` variants, which the components' loaders resolve.
 */
export const kafkaSecurityEnv = {
  KLI8NT_KAFKA_TLS: z.enum(["true", "false"]).default("false"),
  KLI8NT_KAFKA_TLS_CA: z
    .string()
    .includes("-----BEGIN CERTIFICATE-----", { message: "a PEM bundle" })
    .optional(),
  KLI8NT_KAFKA_TLS_SERVERNAME: z.string().min(1).optional(),
  KLI8NT_KAFKA_SASL_MECHANISM: z.enum(["plain", "scram-sha-256", "scram-sha-512"]).optional(),
  KLI8NT_KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  KLI8NT_KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
};

type SecurityEnv = z.output<z.ZodObject<typeof kafkaSecurityEnv>>;

/**
 * Combinations zod cannot see on one key: SASL without its username or password, a CA without TLS, and
 * SASL PLAIN without TLS (the password would cross the network in clear text).
 */
function securityIssues(env: SecurityEnv): string[] {
  const tlsOn = env.KLI8NT_KAFKA_TLS === "true";
  const mechanism = env.KLI8NT_KAFKA_SASL_MECHANISM;
  const credentials = Boolean(env.KLI8NT_KAFKA_SASL_USERNAME && env.KLI8NT_KAFKA_SASL_PASSWORD);
  const anyCredential = Boolean(env.KLI8NT_KAFKA_SASL_USERNAME || env.KLI8NT_KAFKA_SASL_PASSWORD);
  const checks: Array<[boolean, string]> = [
    [
      !tlsOn && Boolean(env.KLI8NT_KAFKA_TLS_CA || env.KLI8NT_KAFKA_TLS_SERVERNAME),
      "KLI8NT_KAFKA_TLS_CA: set KLI8NT_KAFKA_TLS=true to use a CA",
    ],
    [
      Boolean(mechanism) && !credentials,
      "KLI8NT_KAFKA_SASL_MECHANISM: needs KLI8NT_KAFKA_SASL_USERNAME and KLI8NT_KAFKA_SASL_PASSWORD",
    ],
    [
      !mechanism && anyCredential,
      "KLI8NT_KAFKA_SASL_MECHANISM: name the mechanism (plain, scram-sha-256, scram-sha-512)",
    ],
    [
      mechanism === "plain" && !tlsOn,
      "KLI8NT_KAFKA_SASL_MECHANISM: plain sends the password in clear text; set KLI8NT_KAFKA_TLS=true",
    ],
  ];
  return checks.filter(([failed]) => failed).map(([, message]) => message);
}

function tlsOf(env: SecurityEnv): KafkaSecurity["tls"] {
  if (env.KLI8NT_KAFKA_TLS !== "true") return undefined;
  return {
    ...(env.KLI8NT_KAFKA_TLS_CA ? { ca: env.KLI8NT_KAFKA_TLS_CA } : {}),
    ...(env.KLI8NT_KAFKA_TLS_SERVERNAME ? { servername: env.KLI8NT_KAFKA_TLS_SERVERNAME } : {}),
  };
}

function saslOf(env: SecurityEnv): KafkaSecurity["sasl"] {
  const { KLI8NT_KAFKA_SASL_MECHANISM: mechanism, KLI8NT_KAFKA_SASL_USERNAME: username } = env;
  const password = env.KLI8NT_KAFKA_SASL_PASSWORD;
  return mechanism && username && password ? { mechanism, username, password } : undefined;
}

/** The parsed variables as a KafkaSecurity, with the issues of their combination. */
export function kafkaSecurityFrom(env: SecurityEnv): { security: KafkaSecurity; issues: string[] } {
  const tls = tlsOf(env);
  const sasl = saslOf(env);
  return { security: { ...(tls ? { tls } : {}), ...(sasl ? { sasl } : {}) }, issues: securityIssues(env) };
}

/** The kafkajs settings of a KafkaSecurity: TLS verified always (never `rejectUnauthorized: false`). */
export function kafkaClientSecurity(security: KafkaSecurity | undefined): Partial<KafkaConfig> {
  if (!security) return {};
  const { tls, sasl } = security;
  return {
    ...(tls
      ? {
          ssl: {
            rejectUnauthorized: true,
            ...(tls.ca ? { ca: [tls.ca] } : {}),
            ...(tls.servername ? { servername: tls.servername } : {}),
          },
        }
      : {}),
    ...(sasl ? { sasl: { ...sasl } as SASLOptions } : {}),
  };
}
