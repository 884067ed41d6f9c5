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

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CONNECTIONS,
  children,
  ensureTools,
  fmt,
  freePort,
  HOST,
  type Load,
  load,
  median,
  ROUNDS,
  SECONDS,
  spawnRouter,
  spawnServer,
  stopChildren,
  UPSTREAM_JS,
  waitForOk,
} from "./harness.ts";

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

type Name = "upstream" | "router" | "nginx";
type Proxy = "router" | "nginx";

async function main(): Promise<void> {
  ensureTools();
  const upstream = await spawnServer(process.execPath, ["-e", UPSTREAM_JS]);
  const router = await spawnRouter(upstream.port, false);
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

await main();
process.exit(0);
