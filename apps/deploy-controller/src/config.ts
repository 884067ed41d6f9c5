import path from "node:path";
import { type EnvSource, loadEnvConfig } from "@kli8nt/core";
import { z } from "zod";

/** The KLI8NT_* variables of the deploy controller. With none set, the embedded defaults run. */
const schema = z
  .object({
    KLI8NT_DATA_DIR: z.string().min(1).default("./.kli8nt"),
    KLI8NT_RUNTIME: z.enum(["auto", "podman", "process"]).default("auto"),
    KLI8NT_HEALTH_TIMEOUT_SECONDS: z.coerce.number().min(1).max(3600).default(60),
    KLI8NT_DRAIN_SECONDS: z.coerce.number().min(0).max(600).default(5),
    KLI8NT_STOP_GRACE_SECONDS: z.coerce.number().int().min(0).max(600).default(10),
    KLI8NT_APP_MEMORY: z
      .string()
      .regex(/^\d+[kmg]?$/i, "KLI8NT_APP_MEMORY is like 512m")
      .optional(),
    KLI8NT_APP_URL_TEMPLATE: z
      .string()
      .includes("{app}", { message: "KLI8NT_APP_URL_TEMPLATE must contain {app}" })
      .default("http://{app}.localhost:8000"),
    KLI8NT_ROUTER_PORT: z.coerce.number().int().min(0).max(65535).default(8000),
    // Router limits (ADR 0139): client connections at once, and how long a request body may stall.
    KLI8NT_ROUTER_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
    KLI8NT_ROUTER_BODY_TIMEOUT_SECONDS: z.coerce.number().min(1).max(3600).default(30),
    // Custom domains (issue 25, ADR 0221, 0222): the router's HTTPS port and the ACME directory their
    // certificates come from; the CA file is for a test or private ACME server's own HTTPS.
    KLI8NT_ROUTER_TLS_PORT: z.coerce.number().int().min(0).max(65535).default(8443),
    // The HTTPS port visitors reach when a forward sits in front (443 → 8443): what HTTP's 308 names.
    KLI8NT_ROUTER_PUBLIC_HTTPS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
    KLI8NT_ACME_DIRECTORY: z
      .url({ protocol: /^https?$/ })
      .default("https://acme-v02.api.letsencrypt.org/directory"),
    KLI8NT_ACME_EMAIL: z.email().optional(),
    KLI8NT_ACME_CA_FILE: z.string().min(1).optional(),
    // Wildcards by DNS-01 (ADR 0230): a program called `present|cleanup <fqdn> <value>`, and how long the
    // DNS is given to carry the record before the CA is asked to look.
    KLI8NT_ACME_DNS_HOOK: z.string().min(1).optional(),
    KLI8NT_ACME_DNS_PROPAGATION_SECONDS: z.coerce.number().min(0).max(3600).default(10),
    // Seconds between two looks at every app (crashed releases restarted, deleted apps removed).
    KLI8NT_RESYNC_SECONDS: z.coerce.number().min(0.1).max(3600).default(5),
    PATH: z.string().default("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
    HOME: z.string().default("/root"),
  })
  .transform((env) => {
    const dataDir = path.resolve(env.KLI8NT_DATA_DIR);
    return {
      runtime: env.KLI8NT_RUNTIME,
      runDir: path.join(dataDir, "run"),
      healthTimeoutMs: env.KLI8NT_HEALTH_TIMEOUT_SECONDS * 1000,
      drainMs: env.KLI8NT_DRAIN_SECONDS * 1000,
      stopGraceSeconds: env.KLI8NT_STOP_GRACE_SECONDS,
      appMemory: env.KLI8NT_APP_MEMORY,
      appUrlTemplate: env.KLI8NT_APP_URL_TEMPLATE,
      routerPort: env.KLI8NT_ROUTER_PORT,
      routerMaxConnections: env.KLI8NT_ROUTER_MAX_CONNECTIONS,
      routerBodyTimeoutMs: env.KLI8NT_ROUTER_BODY_TIMEOUT_SECONDS * 1000,
      routerTlsPort: env.KLI8NT_ROUTER_TLS_PORT,
      routerPublicTlsPort: env.KLI8NT_ROUTER_PUBLIC_HTTPS_PORT,
      acme: {
        directoryUrl: env.KLI8NT_ACME_DIRECTORY,
        email: env.KLI8NT_ACME_EMAIL,
        caFile: env.KLI8NT_ACME_CA_FILE === undefined ? undefined : path.resolve(env.KLI8NT_ACME_CA_FILE),
        dnsHook: env.KLI8NT_ACME_DNS_HOOK === undefined ? undefined : path.resolve(env.KLI8NT_ACME_DNS_HOOK),
        dnsPropagationMs: env.KLI8NT_ACME_DNS_PROPAGATION_SECONDS * 1000,
      },
      resyncMs: env.KLI8NT_RESYNC_SECONDS * 1000,
      /** What runtime clients (podman, app processes) inherit from the platform: nothing secret. */
      hostEnv: { PATH: env.PATH, HOME: env.HOME } as Readonly<Record<string, string>>,
    };
  });

export type DeployControllerConfig = Readonly<z.output<typeof schema>>;

/**
 * Reads the deploy controller's configuration once; every bad variable is reported in one ConfigError.
 * PATH and HOME are read too (declared above), for what runtime clients inherit.
 */
export function loadDeployControllerConfig(env: EnvSource = process.env): DeployControllerConfig {
  return loadEnvConfig("deploy controller", schema, env);
}
