/**
 * bench:router — the Kli8nt router vs nginx proxying the same upstream, same run, same load tool.
 *
 *   npx tsx packages/router/bench/router.bench.ts     (KLI8NT_BENCH_SECONDS=10 KLI8NT_BENCH_CONNECTIONS=32 KLI8NT_BENCH_ROUNDS=5)
 *
 * Fairness: both proxies get the same number of processes (the router's one Node process, nginx
 * `worker_processes 1`), both keep upstream connections alive, both pass Host and set X-Forwarded-*. The
 * upstream is a tiny Node server in its own process. The load tool is wrk (C, one thread) for both: a Node
 * load tool would take a large, variable share of the same 2 cores from whichever proxy it measures. Rounds
 * alternate in ABBA order so that drift in machine load hits both alike; figures are medians. The last
 * line is the figure: router_vs_nginx_throughput_ratio.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { type AddressInfo, createServer } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createRouter, MemoryRouteTable } from "@kli8nt/router";

const SECONDS = Number(process.env.KLI8NT_BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.KLI8NT_BENCH_CONNECTIONS ?? 32);
const ROUNDS = Number(process.env.KLI8NT_BENCH_ROUNDS ?? 5);
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

/** The router in its own process, as nginx is, so that nothing else shares its event loop. */
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

function ensureTools(): void {
  execFileSync("bash", ["-c", "source scripts/infra/nginx.sh && ensure_nginx && ensure_wrk"], {
    stdio: "inherit",
  });
}

async function startNginx(upstreamPort: number): Promise<{ port: number; dir: string; pid: number }> {
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
      proxy_set_header X-Forwarded-Port $server_port;
    }
  }
}
`,
  );
  const child = spawn(
    "/usr/sbin/nginx",
    ["-p", dir, "-c", join(dir, "nginx.conf"), "-e", join(dir, "error.log")],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
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

/** CPU time (user + system, µs) used so far by a process and its children (nginx master + worker). */
function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const own = (Number(fields[11]) + Number(fields[12])) * (1e6 / 100); // CLK_TCK is 100 on Linux
  const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
  return own + (kids === "" ? 0 : kids.split(" ").reduce((sum, kid) => sum + cpuMicros(Number(kid)), 0));
}

/** CPU steal so far, as [steal, total] clock ticks of all CPUs: on a VM it slows rounds unevenly. */
function stealTicks(): [number, number] {
  const cpu =
    readFileSync("/proc/stat", "utf8").split("\n")[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  return [cpu[7] ?? 0, cpu.reduce((sum, n) => sum + n, 0)];
}

interface Load {
  rps: number;
  p50us: number;
  p99us: number;
  bad: number;
  cpuPerRequestUs: number;
  load1: number;
  /** Share of all CPU time the hypervisor took during the round, in %. */
  stealPct: number;
}

/** wrk prints latencies as 812.00us, 1.23ms or 1.01s. */
function micros(text: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text);
  if (m === null) return Number.NaN;
  return Number(m[1]) * (m[2] === "us" ? 1 : m[2] === "ms" ? 1000 : 1e6);
}

function wrk(port: number, seconds: number, connections: number): Promise<string> {
  const args = ["-t1", `-c${connections}`, `-d${seconds}s`, "--latency", "-H", `Host: ${HOST}`];
  return new Promise((resolve, reject) =>
    execFile("wrk", [...args, `http://127.0.0.1:${port}/`], (err, stdout) =>
      err === null ? resolve(stdout) : reject(err),
    ),
  );
}

async function load(port: number, seconds: number, pid: number, connections = CONNECTIONS): Promise<Load> {
  const load1 = loadavg()[0] ?? 0;
  const cpu0 = cpuMicros(pid);
  const [steal0, total0] = stealTicks();
  const out = await wrk(port, seconds, connections);
  const cpu = cpuMicros(pid) - cpu0;
  const [steal1, total1] = stealTicks();
  const total = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const bad =
    Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0) +
    (socketErrors === null ? 0 : socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0));
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0),
    p50us: micros(/ 50%\s+(\S+)/.exec(out)?.[1] ?? ""),
    p99us: micros(/ 99%\s+(\S+)/.exec(out)?.[1] ?? ""),
    bad,
    cpuPerRequestUs: cpu / Math.max(1, total),
    load1,
    stealPct: (100 * (steal1 - steal0)) / Math.max(1, total1 - total0),
  };
}

const fmt = (n: number, d = 0): string => n.toFixed(d);
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

type Name = "upstream" | "router" | "nginx";
type Proxy = "router" | "nginx";

async function main(): Promise<void> {
  ensureTools();
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
    `wrk -t1 -c${CONNECTIONS}, ${SECONDS}s x ${ROUNDS} rounds each, ABBA order; one router process, nginx worker_processes 1`,
  );

  // Warm-up (JIT, keep-alive pools), then the added latency on one connection, idle otherwise.
  for (const name of ["router", "nginx"] as const) await load(targets[name].port, 2, targets[name].pid);
  const p50: Record<Name, number[]> = { upstream: [], router: [], nginx: [] };
  for (let round = 0; round < 3; round += 1) {
    for (const name of ["upstream", "router", "nginx"] as const) {
      p50[name].push((await load(targets[name].port, 2, targets[name].pid, 1)).p50us);
    }
  }

  const runs: Record<Proxy, Load[]> = { router: [], nginx: [] };
  for (let round = 0; round < ROUNDS; round += 1) {
    const order: Proxy[] = round % 2 === 0 ? ["router", "nginx"] : ["nginx", "router"];
    for (const name of order) {
      const r = await load(targets[name].port, SECONDS, targets[name].pid);
      runs[name].push(r);
      console.log(
        `round ${round + 1} ${name.padEnd(6)} ${fmt(r.rps).padStart(6)} req/s  p50 ${fmt(r.p50us)} µs  ` +
          `p99 ${fmt(r.p99us)} µs  ${fmt(r.cpuPerRequestUs, 1)} µs CPU/req  non-2xx/errors ${r.bad}  ` +
          `load ${fmt(r.load1, 1)}  steal ${fmt(r.stealPct, 1)} %`,
      );
    }
  }
  const direct = await load(upstream.port, SECONDS, upstream.pid);
  console.log(
    `direct (no proxy) ${fmt(direct.rps)} req/s  p50 ${fmt(direct.p50us)} µs  upstream ${fmt(direct.cpuPerRequestUs, 1)} µs CPU/req`,
  );

  const rps = (name: Proxy): number => median(runs[name].map((r) => r.rps));
  const cpu = (name: Proxy): number => median(runs[name].map((r) => r.cpuPerRequestUs));
  const bad = runs.router.concat(runs.nginx).reduce((sum, r) => sum + r.bad, 0);
  const added = (name: Proxy): number => median(p50[name]) - median(p50.upstream);
  const loads = runs.router.concat(runs.nginx).map((r) => r.load1);
  const steals = runs.router.concat(runs.nginx).map((r) => r.stealPct);
  console.log(`throughput (median): router ${fmt(rps("router"))} req/s, nginx ${fmt(rps("nginx"))} req/s`);
  console.log(
    `proxy CPU per request (median): router ${fmt(cpu("router"), 1)} µs, nginx ${fmt(cpu("nginx"), 1)} µs`,
  );
  console.log(
    `added p50 latency (1 connection, vs direct ${fmt(median(p50.upstream))} µs): router ${fmt(added("router"))} µs, nginx ${fmt(added("nginx"))} µs`,
  );
  console.log(
    `load average during rounds: ${fmt(Math.min(...loads), 1)}–${fmt(Math.max(...loads), 1)}; ` +
      `CPU steal ${fmt(Math.min(...steals), 1)}–${fmt(Math.max(...steals), 1)} %; non-2xx/errors ${bad}`,
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
