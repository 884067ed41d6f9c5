import { join, resolve } from "node:path";
import { type EnvSource, envSettings, loadEnvConfig } from "@kli8nt/core";
import type { Logger } from "pino";
import { z } from "zod";
import { AddonService } from "./addon-service.ts";
import { podmanServer } from "./podman-server.ts";
import type { PostgresServer } from "./postgres-server.ts";
import { urlServer } from "./url-server.ts";

/**
 * The add-ons' settings (ADR 0225). `KLI8NT_ADDONS`: `podman` (one server container per machine; unset,
 * `kli8nt start` picks it when podman runs the apps), `url` (an existing server, KLI8NT_ADDONS_POSTGRES_URL),
 * `kubernetes` (cluster mode: the deploy controller makes each add-on in its app's namespace, ADR 0226),
 * or `off` (process mode: add-ons are refused with a problem saying why).
 */
const fields = z
  .object({
    KLI8NT_ADDONS: z.enum(["podman", "url", "kubernetes", "off"]).optional(),
    KLI8NT_ADDONS_POSTGRES_URL: envSettings.postgresUrl().optional(),
    KLI8NT_ADDONS_POSTGRES_IMAGE: z.string().min(1).default("docker.io/library/postgres:16"),
    KLI8NT_ADDONS_POSTGRES_PORT: z.coerce.number().int().min(1).max(65535).default(5433),
    // How app containers reach the server; podman names the host this way inside its containers.
    KLI8NT_ADDONS_POSTGRES_APP_HOST: z.string().min(1).optional(),
    // Where the podman server is published for app containers besides loopback: podman's default network
    // gateway, which host.containers.internal resolves to; "" publishes on loopback only.
    KLI8NT_ADDONS_POSTGRES_APP_BIND: z.string().default("10.88.0.1"),
    // One per machine; its volume is `<name>-data`.
    KLI8NT_ADDONS_POSTGRES_CONTAINER: z
      .string()
      .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/)
      .default("kli8nt-postgres"),
    // Cluster mode: the apps' namespaces, as the deploy controller names them (kli8nt psql's target).
    KLI8NT_K8S_NAMESPACE_PREFIX: z
      .string()
      .regex(/^[a-z0-9][-a-z0-9]*-$/)
      .default("kli8nt-app-"),
    KLI8NT_DATA_DIR: z.string().min(1).default("./.kli8nt"),
    PATH: z.string().default("/usr/local/bin:/usr/bin:/bin"),
  })
  .refine((env) => env.KLI8NT_ADDONS !== "url" || env.KLI8NT_ADDONS_POSTGRES_URL !== undefined, {
    message: "KLI8NT_ADDONS=url needs KLI8NT_ADDONS_POSTGRES_URL (a superuser URL on the server)",
    path: ["KLI8NT_ADDONS_POSTGRES_URL"],
  });

export type AddonsConfig = Readonly<z.output<typeof fields>>;

export function loadAddonsConfig(env: EnvSource = process.env): AddonsConfig {
  return loadEnvConfig("addons", fields, env);
}

function serverOf(c: AddonsConfig): PostgresServer | null {
  const env = { PATH: c.PATH };
  if (c.KLI8NT_ADDONS === "url" && c.KLI8NT_ADDONS_POSTGRES_URL) {
    return urlServer({
      adminUrl: c.KLI8NT_ADDONS_POSTGRES_URL,
      appHost: c.KLI8NT_ADDONS_POSTGRES_APP_HOST,
      env,
    });
  }
  return c.KLI8NT_ADDONS === "podman" ? podmanServerOf(c) : null;
}

/** The podman server of these settings: what `kli8nt start` uses when KLI8NT_ADDONS is unset on podman. */
export function podmanServerOf(c: AddonsConfig): PostgresServer {
  const env = { PATH: c.PATH };
  return podmanServer({
    image: c.KLI8NT_ADDONS_POSTGRES_IMAGE,
    dataDir: resolve(c.KLI8NT_DATA_DIR),
    port: c.KLI8NT_ADDONS_POSTGRES_PORT,
    appHost: c.KLI8NT_ADDONS_POSTGRES_APP_HOST ?? "host.containers.internal",
    appBind: c.KLI8NT_ADDONS_POSTGRES_APP_BIND || undefined,
    containerName: c.KLI8NT_ADDONS_POSTGRES_CONTAINER,
    volume: `${c.KLI8NT_ADDONS_POSTGRES_CONTAINER}-data`,
    env,
  });
}

/** The add-on service of a composition root (api main, `kli8nt start`); the caller starts and stops it. */
export function createAddonService(
  c: AddonsConfig,
  deps: { db: AddonServiceDeps["db"]; box: AddonServiceDeps["box"]; logger: Logger },
): AddonService {
  return new AddonService({
    ...deps,
    server: serverOf(c),
    inCluster: c.KLI8NT_ADDONS === "kubernetes",
    namespacePrefix: c.KLI8NT_K8S_NAMESPACE_PREFIX,
    dumpDir: join(resolve(c.KLI8NT_DATA_DIR), "addons", "dumps"),
  });
}

type AddonServiceDeps = ConstructorParameters<typeof AddonService>[0];
