/**
 * What the router benches share: the upstream, the router in its own process, wrk rounds and the /proc
 * readings around them (router.bench.ts, metrics.bench.ts).
 */
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { type AddressInfo, createServer } from "node:net";
import { loadavg } from "node:os";
import { createRouter, MemoryRouteTable, type RequestMinute } from "@kli8nt/router";

export const SECONDS = Number(process.env.KLI8NT_BENCH_SECONDS ?? 10);
export const CONNECTIONS = Number(process.env.KLI8NT_BENCH_CONNECTIONS ?? 32);
export const ROUNDS = Number(process.env.KLI8NT_BENCH_ROUNDS ?? 5);
export const HOST = "app.localhost";

export const children: ChildProcess[] = [];
const cleanup = (): void => {
  // SIGTERM: nginx's master then stops its workers; SIGKILL would leave them orphaned.
  for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
};
process.on("exit", cleanup);

/** Stops the children and waits for them, so that nginx's master has reaped its worker before we exit. */
export async function stopChildren(): Promise<void> {
  const exits = children
    .filter((child) => child.exitCode === null && child.signalCode === null)
    .map((child) => new Promise((resolve) => child.once("exit", resolve)));
  cleanup();
  await Promise.race([Promise.all(exits), new Promise((resolve) => setTimeout(resolve, 5000))]);
}

/** Starts a child process that prints its port on the first stdout line. */
export function spawnServer(cmd: string, args: string[]): Promise<{ port: number; pid: number }> {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout?.once("data", (d: Buffer) =>
      resolve({ port: Number(d.toString().trim()), pid: child.pid ?? 0 }),
    );
    child.once("exit", (code) => reject(new Error(`${cmd} exited early (${code})`)));
  });
}

export const UPSTREAM_JS = `
const http = require("node:http");
const body = Buffer.from("hello from the app\\n");
const s = http.createServer((req, res) => {
  res.writeHead(200, { "content-type": "text/plain", "content-length": body.length });
  res.end(body);
});
s.keepAliveTimeout = 65000;
s.listen(0, "127.0.0.1", () => console.log(s.address().port));`;

/**
 * Starts the router in its own process, as nginx is, so that nothing else shares its event loop. With
 * `metrics`, it counts requests as `kli8nt start` does, into a sink that only keeps the last batch (the
 * store's write every 10 s is not the router's cost).
 */
export function spawnRouter(upstreamPort: number, metrics: boolean): Promise<{ port: number; pid: number }> {
  return spawnServer(process.execPath, [
    "--import",
    "tsx",
    import.meta.filename,
    "serve-router",
    String(upstreamPort),
    metrics ? "metrics" : "plain",
  ]);
}

async function serveRouter(upstreamPort: number, metrics: boolean): Promise<void> {
  const table = new MemoryRouteTable();
  table.set("app", { kind: "upstream", url: `http://127.0.0.1:${upstreamPort}` });
  let last: RequestMinute[] = [];
  const router = await createRouter({
    port: 0,
    table,
    ...(metrics
      ? {
          metrics: {
            sink: (minutes: RequestMinute[]) => {
              last = minutes;
            },
          },
        }
      : {}),
  });
  console.log(router.port);
  // Keeps the sink's work from being optimised away, and shows the counts were taken.
  process.on("SIGTERM", () => {
    if (metrics)
      console.error(`router with metrics: last flush ${last.reduce((n, m) => n + m.requests, 0)} requests`);
    process.exit(0);
  });
}

if (process.argv[2] === "serve-router") {
  await serveRouter(Number(process.argv[3]), process.argv[4] === "metrics");
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export function ensureTools(): void {
  execFileSync("bash", ["-c", "source scripts/infra/nginx.sh && ensure_nginx && ensure_wrk"], {
    stdio: "inherit",
  });
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

export async function waitForOk(port: number): Promise<void> {
  const agent = new Agent();
  for (let i = 0; i < 100; i += 1) {
    if ((await get(agent, port).catch(() => 0)) === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing answered 200 on port ${port}`);
}

/** CPU time (user + system, µs) used so far by a process and its children (nginx master + worker). */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const own = (Number(fields[11]) + Number(fields[12])) * (1e6 / 100); // CLK_TCK is 100 on Linux
  const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
  return own + (kids === "" ? 0 : kids.split(" ").reduce((sum, kid) => sum + cpuMicros(Number(kid)), 0));
}

/** CPU steal so far, as [steal, total] clock ticks of all CPUs: on a VM it slows rounds unevenly. */
export function stealTicks(): [number, number] {
  const cpu =
    readFileSync("/proc/stat", "utf8").split("\n")[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  return [cpu[7] ?? 0, cpu.reduce((sum, n) => sum + n, 0)];
}

export interface Load {
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

export async function load(
  port: number,
  seconds: number,
  pid: number,
  connections = CONNECTIONS,
): Promise<Load> {
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

export const fmt = (n: number, d = 0): string => n.toFixed(d);
export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};
