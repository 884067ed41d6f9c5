/**
 * `npm run bench:logs`: an app writing lines as fast as it can → LogStore → the api's WebSocket → one client,
 * lossless, for the embedded (file) store and, when KLI8NT_TEST_KAFKA_BROKERS is set, for Kafka.
 * Last line: `log_pipeline_lines_per_s: <n>` (embedded). Targets: ≥ 50,000 embedded, ≥ 20,000 Kafka.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildApi, loadConfig } from "@kli8nt/api";
import { createApiToken, createApp, createUser, IN_MEMORY, openDatabase, SecretBox } from "@kli8nt/db";
import { createFileLogStore, createKafkaLogStore, type LogRecord, type LogStore } from "@kli8nt/logstore";
import WebSocket from "ws";

const LINES = Number(process.env.BENCH_LINES ?? 200_000);
const BATCH = 500;

async function run(name: string, logs: LogStore, dataDir: string): Promise<number> {
  const database = await openDatabase({ dataDir: IN_MEMORY });
  const user = await createUser(database.db, { login: "bench" });
  const { token } = await createApiToken(database.db, user.id, "bench");
  const app = await createApp(database.db, user.id, {
    name: "firehose",
    repository: { url: "https://github.com/bench/firehose", branch: "main", rootDir: "." },
    port: null,
  });
  const config = loadConfig({ KLI8NT_DATA_DIR: dataDir, KLI8NT_LOG_LEVEL: "silent" });
  const api = await buildApi({
    config,
    db: database.db,
    box: new SecretBox(randomBytes(32)),
    onOutboxWrite: () => undefined,
    logs,
  });
  const url = (await api.listen({ host: "127.0.0.1", port: 0 })).replace("http", "ws");
  const start = (await logs.read(app.id)).end;

  let received = 0;
  let expected = start;
  let lost = 0;
  const client = new WebSocket(`${url}/api/apps/firehose/logs/stream?from=${start}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const done = new Promise<void>((resolve, reject) => {
    client.on("message", (data) => {
      const event = JSON.parse(String(data)) as { type: string; offset?: number };
      if (event.type !== "record") lost++;
      else if (event.offset !== expected++) lost++;
      if (++received === LINES) resolve();
    });
    client.on("error", reject);
  });
  await new Promise((resolve) => client.once("open", resolve));

  const began = performance.now();
  const line = (i: number): LogRecord => ({
    timestamp: new Date().toISOString(),
    appId: app.id,
    deploymentId: "dep_bench",
    phase: "run",
    source: "firehose",
    stream: "stdout",
    line: `GET /api/items/${i} 200 1.2ms user-agent="bench" request-id=${i.toString(16).padStart(8, "0")}`,
  });
  for (let i = 0; i < LINES; i += BATCH) {
    await logs.append(
      app.id,
      Array.from({ length: Math.min(BATCH, LINES - i) }, (_, k) => line(i + k)),
    );
  }
  await done;
  const seconds = (performance.now() - began) / 1000;
  client.close();
  await api.close();
  await database.close();
  const rate = Math.round(LINES / seconds);
  console.log(
    `${name}: ${LINES} lines in ${seconds.toFixed(2)} s = ${rate} lines/s, lost or out of order: ${lost}`,
  );
  if (lost > 0) throw new Error(`${name}: the pipeline lost or reordered ${lost} lines`);
  return rate;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), "kli8nt-bench-logs-"));
  try {
    const file = createFileLogStore({ dataDir: path.join(dir, "logs") });
    const embedded = await run("embedded (file)", file, dir);
    await file.close();
    const brokers = process.env.KLI8NT_TEST_KAFKA_BROKERS;
    if (brokers) {
      const kafka = createKafkaLogStore({ brokers: brokers.split(","), topicPrefix: `bench-${Date.now()}.` });
      await run("kafka", kafka, dir);
      await kafka.close();
    } else {
      console.log("kafka: skipped (KLI8NT_TEST_KAFKA_BROKERS not set; `npm run bench:logs` starts a broker)");
    }
    console.log(`log_pipeline_lines_per_s: ${embedded}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
