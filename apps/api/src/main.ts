import { createBus } from "@kli8nt/bus";
import { loadConfig } from "./config.ts";
import { createLogger } from "./logger.ts";
import { startApi } from "./server.ts";

/** Composition root of the api process: config, logger, adapters, signals. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const bus = await createBus({ kind: "memory" }, logger);
  const api = await startApi(config, logger, (m) =>
    bus.publish(m.queue, { id: m.messageId, type: m.queue, body: m.payload }),
  );
  logger.info({ url: api.url }, "Kli8nt api listening");
  const stop = async (signal: string) => {
    logger.info({ signal }, "Shutting down");
    await api.close();
    await bus.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop("SIGINT"));
  process.once("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `kli8nt api failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
