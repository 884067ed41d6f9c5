// Append throughput of the embedded (file) LogStore against the floor of plain fs.appendFile writing the
// very same bytes in the same batches, measured in one run. Last line: file_logstore_vs_raw_ratio: <r>.
import { appendFile, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFileLogStore, type LogRecord } from "@kli8nt/logstore";

const LINES = Number(process.env.BENCH_LINES ?? 200_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 500);
const APP = "bench-app";

function batchOf(first: number): LogRecord[] {
  return Array.from({ length: BATCH }, (_, i) => ({
    timestamp: new Date(Date.now()).toISOString(),
    appId: APP,
    deploymentId: "dep-1",
    phase: "run" as const,
    source: "web-7d9f/app",
    stream: "stdout" as const,
    line: `GET /api/items/${first + i} 200 ${(first + i) % 97}ms user-agent="bench" request-id=${first + i}`,
  }));
}

async function timeFileStore(dir: string): Promise<number> {
  const store = createFileLogStore({ dataDir: dir, segmentBytes: 1 << 30 });
  const batches = Array.from({ length: LINES / BATCH }, (_, b) => batchOf(b * BATCH));
  const started = process.hrtime.bigint();
  for (const batch of batches) await store.append(APP, batch);
  await store.close();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** Re-appends the bytes the store wrote, cut at the same record boundaries, with fs.appendFile. */
async function timeRawAppend(dir: string, rawFile: string): Promise<number> {
  const appDir = join(dir, (await readdir(dir))[0] as string);
  const segment = await readFile(join(appDir, (await readdir(appDir))[0] as string));
  const chunks: Buffer[] = [];
  let start = 0;
  let lines = 0;
  for (let i = 0; i < segment.length; i++) {
    if (segment[i] === 10 && ++lines % BATCH === 0) {
      chunks.push(segment.subarray(start, i + 1));
      start = i + 1;
    }
  }
  const started = process.hrtime.bigint();
  for (const chunk of chunks) await appendFile(rawFile, chunk);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

const root = await mkdtemp(join(tmpdir(), "kli8nt-logstore-bench-"));
try {
  const warm = join(root, "warm");
  await timeFileStore(warm);
  await timeRawAppend(warm, join(root, "warm.raw"));
  const dir = join(root, "store");
  const fileSeconds = await timeFileStore(dir);
  const rawSeconds = await timeRawAppend(dir, join(root, "raw.log"));
  const fileRate = LINES / fileSeconds;
  const rawRate = LINES / rawSeconds;
  console.log(`lines: ${LINES} in batches of ${BATCH}`);
  console.log(`file_logstore_lines_per_s: ${Math.round(fileRate)}`);
  console.log(`raw_appendfile_lines_per_s: ${Math.round(rawRate)}`);
  console.log(`file_logstore_vs_raw_ratio: ${(fileRate / rawRate).toFixed(3)}`);
} finally {
  await rm(root, { recursive: true, force: true });
}
