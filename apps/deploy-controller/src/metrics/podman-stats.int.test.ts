import { execFileSync } from "node:child_process";
import {
  createApp,
  ensureAdminUser,
  openTestDatabase,
  queryMetrics,
  writeNamedResourceSamples,
} from "@kli8nt/db";
import { failUnderCi } from "@kli8nt/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PodmanStatsSampler, parseGoDuration, parseMemUsage } from "./podman-stats.ts";

// A real container that burns one core and holds ~64 MB: the sampler sees both, under its app and process,
// and never a container of another installation.
const env = process.env;
const ready = env.KLI8NT_TEST_CONTAINERS === "1" && env.KLI8NT_TEST_BASE_IMAGES !== undefined;
failUnderCi(!ready, "KLI8NT_TEST_CONTAINERS/KLI8NT_TEST_BASE_IMAGES missing: run start_containers");
const hostEnv = { PATH: env.PATH ?? "/usr/bin:/bin", HOME: env.HOME ?? "/root" };
const installation = `stats-${Date.now().toString(36)}`;
const started: string[] = [];

function run(labels: Record<string, string>, script: string): void {
  const base = (JSON.parse(env.KLI8NT_TEST_BASE_IMAGES ?? "{}") as Record<string, string>).debian ?? "";
  const flags = Object.entries(labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]);
  const id = execFileSync("podman", ["run", "-d", ...flags, base, "sh", "-c", script], { encoding: "utf8" });
  started.push(id.trim());
}

describe("parsing podman's units", () => {
  it("reads sizes and Go durations", () => {
    expect(parseMemUsage("835.6kB / 25.28GB")).toBe(835_600);
    expect(parseMemUsage("64.2MB / 1GB")).toBe(64_200_000);
    expect(parseGoDuration("881.444154ms")).toBeCloseTo(0.881444154, 9);
    expect(parseGoDuration("1m2.5s")).toBe(62.5);
  });
});

describe.skipIf(!ready)("podman stats sampler", { timeout: 120_000 }, () => {
  beforeAll(() => {
    // 64 MB held in a shell variable's worth of /dev/shm, and a busy loop.
    const busy = "head -c 64000000 /dev/zero > /dev/shm/hold; while :; do :; done";
    run({ "kli8nt.installation": installation, "kli8nt.app": "stats-app", "kli8nt.process": "web" }, busy);
    run(
      { "kli8nt.installation": "someone-else", "kli8nt.app": "stats-app", "kli8nt.process": "web" },
      "sleep 600",
    );
  });
  afterAll(() => {
    if (started.length > 0) execFileSync("podman", ["rm", "-f", "-t", "0", ...started], { stdio: "ignore" });
  });

  it("reports CPU and memory of this installation's containers by app and process", async () => {
    const sampler = new PodmanStatsSampler({ hostEnv, installation });
    await sampler.sample();
    await new Promise((r) => setTimeout(r, 2000));
    const samples = await sampler.sample();
    expect(samples).toHaveLength(1);
    const [web] = samples;
    expect(web).toMatchObject({ app: "stats-app", process: "web", containers: 1 });
    // One busy loop on a 2-core machine shared with other suites: busy (an idle container reads ~0), at
    // most one core.
    console.log(`podman stats sample: cpu ${web?.cpu.toFixed(2)} cores, memory ${web?.memoryBytes} bytes`);
    expect(web?.cpu).toBeGreaterThan(0.05);
    expect(web?.cpu).toBeLessThan(1.2);
    expect(web?.memoryBytes).toBeGreaterThan(60_000_000);

    // Written as `kli8nt start` writes them: by app name, into that app's minute.
    const database = await openTestDatabase("pglite");
    try {
      const admin = await ensureAdminUser(database.db);
      const app = await createApp(database.db, admin.id, {
        name: "stats-app",
        repository: { url: "https://example.com/r.git", branch: "main", rootDir: "." },
        port: null,
      });
      await writeNamedResourceSamples(database.db, samples);
      const at = samples[0]?.at ?? new Date();
      const [point] = await queryMetrics(database.db, app.id, {
        from: new Date(at.getTime() - 60_000),
        to: new Date(at.getTime() + 60_000),
        stepSeconds: 120,
      });
      expect(point?.cpu).toBeCloseTo(web?.cpu ?? -1, 6);
      expect(point?.memoryBytes).toBe(web?.memoryBytes);
    } finally {
      await database.close();
    }
  });
});
