import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { UnavailableError } from "@kli8nt/core";
import type { PostgresServer } from "./postgres-server.ts";
import { runCommand } from "./run-command.ts";
import { waitForServer } from "./url-server.ts";

export interface PodmanServerOptions {
  /** The official `postgres` image by default; overridable like the base images (air-gapped mirrors). */
  readonly image: string;
  /** Where the superuser password is kept (0600), so a restart adopts the same server. */
  readonly dataDir: string;
  /** The host port it is published on (loopback). */
  readonly port: number;
  /** How apps reach it (their containers see the host under this name). */
  readonly appHost: string;
  /**
   * A host address apps' containers reach, where the port is published too: podman's default network
   * gateway (10.88.0.1), which is what `host.containers.internal` names inside its containers. Loopback
   * alone is not reachable from a container.
   */
  readonly appBind?: string | undefined;
  readonly env: Record<string, string>;
  readonly podman?: string;
  readonly containerName?: string;
  /** The named volume holding PGDATA. */
  readonly volume?: string;
}

/** The `podman run` arguments of the platform's server: a named volume, loopback port, health check. */
export function podmanRunArgs(o: PodmanServerOptions, name: string): string[] {
  return [
    "run",
    "-d",
    "--name",
    name,
    "--label",
    "kli8nt.io/role=addons-postgres",
    "--restart",
    "unless-stopped",
    "-v",
    `${o.volume ?? "kli8nt-postgres-data"}:/var/lib/postgresql/data`,
    "-p",
    `127.0.0.1:${o.port}:5432`,
    ...(o.appBind ? ["-p", `${o.appBind}:${o.port}:5432`] : []),
    // The official image reads the superuser's password from the environment at its first start only.
    "-e",
    "POSTGRES_PASSWORD",
    "--health-cmd",
    "pg_isready -U postgres",
    "--health-interval",
    "10s",
    o.image,
  ];
}

function superuserPassword(dataDir: string): string {
  const file = join(dataDir, "addons", "postgres-superuser");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(join(dataDir, "addons"), { recursive: true, mode: 0o700 });
  const password = randomBytes(24).toString("base64url");
  writeFileSync(file, password, { mode: 0o600 });
  return password;
}

/**
 * One PostgreSQL server per machine as a podman container (ADR 0225): started with the platform, adopted
 * when it already runs (same name, same volume, same kept password), started again when it stopped.
 */
export function podmanServer(o: PodmanServerOptions): PostgresServer {
  const podman = o.podman ?? "podman";
  const name = o.containerName ?? "kli8nt-postgres";
  const password = superuserPassword(o.dataDir);
  const adminUrl = `postgres://postgres:${password}@127.0.0.1:${o.port}/postgres`;
  const run = (args: string[]) =>
    runCommand(podman, args, { env: { ...o.env, POSTGRES_PASSWORD: password } });
  return {
    kind: "podman",
    async ensure() {
      const state = await run(["container", "inspect", "--format", "{{.State.Status}}", name]);
      const started =
        state.code !== 0
          ? await run(podmanRunArgs(o, name))
          : state.stdout.trim() === "running"
            ? state
            : await run(["start", name]);
      if (started.code !== 0) {
        throw new UnavailableError(
          "ADDON_SERVER_START_FAILED",
          `podman could not start ${name} from ${o.image}: ${started.stderr.trim()}`,
        );
      }
      await waitForServer(adminUrl, 60_000, `the ${name} container`);
      return { adminUrl, appHost: o.appHost, appPort: o.port };
    },
    async dump(database, file, how = {}) {
      const args = ["exec", name, "pg_dump", "-U", "postgres", "--no-owner", "--no-privileges"];
      args.push(...(how.inserts ? ["--inserts"] : []), database);
      const result = await runCommand(podman, args, { env: o.env, toFile: file });
      if (result.code !== 0) {
        throw new UnavailableError(
          "ADDON_DUMP_FAILED",
          `pg_dump of ${database} failed: ${result.stderr.trim()}`,
        );
      }
    },
  };
}
