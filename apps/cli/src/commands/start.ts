import { ConfigError, createLogger, loadConfig, startApi } from "@kli8nt/api";
import { createBus } from "@kli8nt/bus";
import type { CommandIo } from "./plan.ts";

/**
 * `kli8nt start`: the whole platform in one process on the embedded defaults (PGlite, in-process bus).
 * Resolves with the exit code once a signal stopped it.
 */
export async function startCommand(_argv: string[], io: CommandIo, env?: NodeJS.ProcessEnv): Promise<number> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = env ? loadConfig(env) : loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const bus = await createBus({ kind: "memory" }, logger);
  const api = await startApi(config, logger, (m) =>
    bus.publish(m.queue, { id: m.messageId, type: messageType(m.payload, m.queue), body: m.payload }),
  );
  io.stdout.write(
    [
      "",
      "  Kli8nt is running.",
      `  Open ${api.signInUrl ?? api.url} to sign in (the link works once).`,
      `  API: ${api.url}/api   OpenAPI: ${api.url}/api/openapi.json   Data: ${config.dataDir}`,
      "",
      "",
    ].join("\n"),
  );
  const signal = await new Promise<string>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  logger.info({ signal }, "Shutting down");
  await api.close();
  await bus.close();
  return 0;
}

function messageType(payload: unknown, queue: string): string {
  const body = payload as { type?: unknown; version?: unknown };
  return typeof body?.type === "string" ? `${body.type}.v${String(body.version ?? 1)}` : queue;
}
