/**
 * bench:router — the Kli8nt router vs nginx proxying the same upstream, same run, same load tool.
 *
 *   npx tsx bench/router.bench.ts            (KLI8NT_BENCH_SECONDS=10 KLI8NT_BENCH_CONNECTIONS=32 to tune)
 *
 * Fairness: both proxies get one process/worker (Node is single-threaded, nginx `worker_processes 1`), both
 * keep upstream connections alive, both set Host and X-Forwarded-*. The upstream is a tiny Node server in its
 * own process; autocannon runs in this process. Runs alternate router/nginx so that machine noise (shared
 * cores) hits both alike. The last line is the figure: router_vs_nginx_throughput_ratio.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRouter, MemoryRouteTable } from "@kli8nt/deploy-controller";
import autocannon from "autocannon";

const SECONDS = Number(process.env.KLI8NT_BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.KLI8NT_BENCH_CONNECTIONS ?? 32);
const ROUNDS = 3;
const PROBES = 2000;
const HOST = "app.localhost";

const children: ChildProcess[] = [];
const cleanup = (): void => {
  // SIGTERM: nginx's master then stops its workers; SIGKILL would leave them orphaned.
  for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
};
process.on("exit", cleanup);

/** Stops the children and waits for them, so that nginx's master has reaped its worker before we exit. */
async function stopChildren(): Promise<void> {
  const exits = children
    .filter((child) => child.exitCode === null && child.signalCode === null)
    .map((child) => new Promise((resolve) => child.once("exit", resolve)));
  cleanup();
  await Promise.race([Promise.all(exits), new Promise((resolve) => setTimeout(resolve, 5000))]);
}

/** Starts a child process that prints its port on the first stdout line. */
function spawnServer(cmd: string, args: string[]): Promise<{ port: number; pid: number }> {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout?.once("data", (d: Buffer) =>
      resolve({ port: Number(d.toString().trim()), pid: child.pid ?? 0 }),
    );
    child.once("exit", (code) => reject(new Error(`${cmd} exited early (${code})`)));
  });
}

const UPSTREAM_JS = `
const http = require("node:http");
const body = Buffer.from("hello from the app\\n");
const s = http.createServer((req, res) => {
  res.writeHead(200, { "content-type": "text/plain", "content-length": body.length });
  res.end(body);
});
s.keepAliveTimeout = 65000;
s.listen(0, "127.0.0.1", () => console.log(s.address().port));`;

/** The router in its own process, as nginx is, so that autocannon here does not share its event loop. */
async function serveRouter(upstreamPort: number): Promise<void> {
  const table = new MemoryRouteTable();
  table.set("app", { kind: "upstream", url: `http://127.0.0.1:${upstreamPort}` });
  const router = await createRouter({ port: 0, table });
  console.log(router.port);
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function ensureNginx(): string {
  execFileSync("bash", ["-c", "source scripts/infra/nginx.sh && ensure_nginx"], { stdio: "inherit" });
  return "/usr/sbin/nginx";
}

async function startNginx(upstreamPort: number): Promise<{ port: number; dir: string; pid: number }> {
  const nginx = ensureNginx();
  const dir = mkdtempSync(join(tmpdir(), "kli8nt-nginx-"));
  const port = await freePort();
  const user = process.getuid?.() === 0 ? "user root;\n" : "";
  writeFileSync(
    join(dir, "nginx.conf"),
    `${user}daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  upstream app { server 127.0.0.1:${upstreamPort}; keepalive 256; }
  server {
    listen 127.0.0.1:${port};
    server_name ${HOST};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;
    }
  }
}
`,
  );
  const child = spawn(nginx, ["-p", dir, "-c", join(dir, "nginx.conf"), "-e", join(dir, "error.log")], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  children.push(child);
  await waitForOk(port);
  return { port, dir, pid: child.pid ?? 0 };
}

function get(agent: Agent, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/", headers: { host: HOST }, agent }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end();
  });
}

async function waitForOk(port: number): Promise<void> {
  const agent = new Agent();
  for (let i = 0; i < 100; i += 1) {
    if ((await get(agent, port).catch(() => 0)) === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing answered 200 on port ${port}`);
}

/** p50 of sequential single requests on one keep-alive connection, in microseconds. */
async function probeP50(port: number): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const times: number[] = [];
  for (let i = 0; i < PROBES; i += 1) {
    const t = process.hrtime.bigint();
    await get(agent, port);
    times.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  agent.destroy();
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? Number.NaN;
}

/** CPU time (user + system, µs) used so far by a process and its children (nginx master + worker). */
function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const own = (Number(fields[11]) + Number(fields[12])) * (1e6 / 100); // CLK_TCK is 100 on Linux
  const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
  return own + (kids === "" ? 0 : kids.split(" ").reduce((sum, kid) => sum + cpuMicros(Number(kid)), 0));
}

interface Load {
  rps: number;
  p50ms: number;
  p99ms: number;
  bad: number;
  cpuPerRequestUs: number;
}

async function load(port: number, seconds: number, pid: number): Promise<Load> {
  const cpu0 = cpuMicros(pid);
  const r = await autocannon({
    url: `http://127.0.0.1:${port}/`,
    connections: CONNECTIONS,
    duration: seconds,
    headers: { host: HOST },
  });
  return {
    rps: r.requests.average,
    p50ms: r.latency.p50,
    p99ms: r.latency.p99,
    bad: r.non2xx + r.errors + r.timeouts,
    cpuPerRequestUs: (cpuMicros(pid) - cpu0) / Math.max(1, r.requests.total),
  };
}

const fmt = (n: number, d = 0): string => n.toFixed(d);

type Name = "upstream" | "router" | "nginx";
const mean = (xs: number[]): number => xs.reduce((sum, x) => sum + x, 0) / xs.length;

async function main(): Promise<void> {
  const upstream = await spawnServer(process.execPath, ["-e", UPSTREAM_JS]);
  const router = await spawnServer(process.execPath, [
    "--import",
    "tsx",
    import.meta.filename,
    "serve-router",
    String(upstream.port),
  ]);
  const nginx = await startNginx(upstream.port);
  const targets: Record<Name, { port: number; pid: number }> = { upstream, router, nginx };
  console.log(
    `${CONNECTIONS} connections, ${SECONDS}s x ${ROUNDS} rounds each, alternating; nginx worker_processes 1`,
  );

  const p50: Record<Name, number> = { upstream: 0, router: 0, nginx: 0 };
  for (const name of ["upstream", "router", "nginx"] as const) {
    await probeP50(targets[name].port); // warm-up: JIT, keep-alive pools
    p50[name] = await probeP50(targets[name].port);
  }
  console.log(
    `sequential p50: direct ${fmt(p50.upstream)} µs, router ${fmt(p50.router)} µs, nginx ${fmt(p50.nginx)} µs`,
  );

  for (const name of ["router", "nginx"] as const) await load(targets[name].port, 2, targets[name].pid);
  const runs: Record<"router" | "nginx", Load[]> = { router: [], nginx: [] };
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const name of ["router", "nginx"] as const) {
      const r = await load(targets[name].port, SECONDS, targets[name].pid);
      runs[name].push(r);
      console.log(
        `round ${round + 1} ${name.padEnd(6)} ${fmt(r.rps)} req/s  p50 ${r.p50ms} ms  p99 ${r.p99ms} ms  ` +
          `${fmt(r.cpuPerRequestUs, 1)} µs CPU/req  non-2xx/errors ${r.bad}`,
      );
    }
  }
  const direct = await load(upstream.port, SECONDS, upstream.pid);
  console.log(
    `direct (no proxy) ${fmt(direct.rps)} req/s  p50 ${direct.p50ms} ms  upstream ${fmt(direct.cpuPerRequestUs, 1)} µs CPU/req`,
  );

  const rps = (name: "router" | "nginx"): number => mean(runs[name].map((r) => r.rps));
  const cpu = (name: "router" | "nginx"): number => mean(runs[name].map((r) => r.cpuPerRequestUs));
  console.log(`throughput: router ${fmt(rps("router"))} req/s, nginx ${fmt(rps("nginx"))} req/s`);
  console.log(`proxy CPU per request: router ${fmt(cpu("router"), 1)} µs, nginx ${fmt(cpu("nginx"), 1)} µs`);
  console.log(
    `added p50 latency (sequential, vs direct): router ${fmt(p50.router - p50.upstream)} µs, nginx ${fmt(p50.nginx - p50.upstream)} µs`,
  );
  await stopChildren();
  rmSync(nginx.dir, { recursive: true, force: true });
  console.log(`router_vs_nginx_throughput_ratio: ${(rps("router") / rps("nginx")).toFixed(2)}`);
}

if (process.argv[2] === "serve-router") {
  await serveRouter(Number(process.argv[3]));
} else {
  await main();
  process.exit(0);
}
