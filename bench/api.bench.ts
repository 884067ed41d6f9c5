/**
 * `npm run bench:api`: autocannon at a fixed 500 req/s against GET /api/apps for a user with 1,000 apps
 * (each with a deployment), on the embedded database (or PostgreSQL when KLI8NT_TEST_DATABASE_URL is set).
 * Last line: `api_p99_ms: <n>` (target: under 50).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildApi, loadConfig } from "@kli8nt/api";
import { createApiToken, createUser, openDatabase, openTestDatabase, SecretBox, schema } from "@kli8nt/db";
import autocannon from "autocannon";

const APPS = 1000;
const RATE = 500;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 15);

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "kli8nt-bench-api-"));
  const database = process.env.KLI8NT_TEST_DATABASE_URL
    ? await openTestDatabase("postgres")
    : await openDatabase({ dataDir });
  const user = await createUser(database.db, { login: "bench" });
  const { token } = await createApiToken(database.db, user.id, "bench");
  const apps = Array.from({ length: APPS }, (_, i) => ({
    id: `app_bench_${i}`,
    ownerId: user.id,
    name: `app-${String(i).padStart(4, "0")}`,
    repoUrl: `https://github.com/bench/app-${i}`,
    branch: "main",
  }));
  for (let i = 0; i < apps.length; i += 250)
    await database.db.insert(schema.apps).values(apps.slice(i, i + 250));
  const deployments = apps.map((a) => ({
    id: `dep_${a.id}`,
    appId: a.id,
    number: 1,
    state: "live",
    trigger: "api",
    ref: "main",
  }));
  for (let i = 0; i < deployments.length; i += 250) {
    await database.db.insert(schema.deployments).values(deployments.slice(i, i + 250));
  }

  const config = loadConfig({ KLI8NT_DATA_DIR: dataDir, KLI8NT_LOG_LEVEL: "silent" });
  const app = await buildApi({
    config,
    db: database.db,
    box: new SecretBox(randomBytes(32)),
    onOutboxWrite: () => undefined,
  });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });

  const run = (pathAndQuery: string) =>
    autocannon({
      url: `${url}${pathAndQuery}`,
      connections: 20,
      overallRate: RATE,
      duration: DURATION_S,
      headers: { authorization: `Bearer ${token}` },
    });

  await run("/api/apps").then(() => undefined); // warm-up: JIT, query plans, connection pool
  const page = await run("/api/apps");
  const big = await run("/api/apps?limit=200");
  await app.close();
  await database.close();
  rmSync(dataDir, { recursive: true, force: true });

  const line = (name: string, r: autocannon.Result) =>
    `${name}: ${r.requests.average.toFixed(0)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, ` +
    `non-2xx ${r.non2xx}, errors ${r.errors}`;
  console.log(`database: ${database.kind}; ${APPS} apps; ${RATE} req/s for ${DURATION_S} s`);
  console.log(line("GET /api/apps (default page, 50 apps)", page));
  console.log(line("GET /api/apps?limit=200", big));
  if (page.non2xx > 0 || page.errors > 0) throw new Error("the benchmark saw failed requests");
  console.log(`api_p99_ms: ${page.latency.p99}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
