import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { promisify } from "node:util";
import { failUnderCi } from "@kli8nt/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, platformEnv } from "./platform-api.ts";
import { freePort, type PlatformProcess, startPlatform } from "./platform-process.ts";

// Custom domains through the real entry point (`kli8nt start`, process runtime) against Pebble from
// scripts/infra/acme.sh: the API adds a domain, the router serves it as its app over HTTP at once, the
// domains reconciler gets Pebble's certificate (HTTP-01 on the router's port), curl trusts Pebble's root,
// HTTP redirects, a restart on the same data dir orders nothing, DELETE removes route and certificate.
// The app is never deployed: "routed to the app" is its own status page (APP_NOT_FOUND), not the router's
// unknown-host page. Serving a real app page over HTTPS is apps/deploy-controller's Pebble suite.
const env = process.env;
const missing = failUnderCi(
  env.KLI8NT_TEST_LOCAL_ACME_DIRECTORY === undefined,
  "KLI8NT_TEST_LOCAL_ACME_DIRECTORY missing: run start_acme (scripts/infra/acme.sh)",
);
const exec = promisify(execFile);
const HOST = "shop.example.test";

let dataDir: string;
let platform: PlatformProcess | undefined;
let ports: { api: number; router: number; tls: number };
let rootFile: string;
let earlier = "";

function start(): Promise<PlatformProcess> {
  return startPlatform(
    {
      ...platformEnv(dataDir, ports.router, env),
      KLI8NT_RUNTIME: "process",
      KLI8NT_LOG_LEVEL: "info",
      KLI8NT_ROUTER_TLS_PORT: String(ports.tls),
      KLI8NT_ACME_DIRECTORY: env.KLI8NT_TEST_LOCAL_ACME_DIRECTORY ?? "",
      KLI8NT_ACME_CA_FILE: env.KLI8NT_TEST_LOCAL_ACME_CA_FILE ?? "",
      KLI8NT_ACME_EMAIL: "ops@example.test",
    },
    ports,
  );
}

async function api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const res = await fetch(`${platform?.api}/api${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (res.status === 204 ? null : await res.json()) as T };
}

function viaRouter(host: string, path = "/"): Promise<{ status: number; code?: string; location?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port: ports.router, path, headers: { host }, agent: false },
      (res) => {
        res.resume();
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            ...(typeof res.headers["x-kli8nt-router"] === "string"
              ? { code: res.headers["x-kli8nt-router"] }
              : {}),
            ...(res.headers.location ? { location: res.headers.location } : {}),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}

async function curlHttps(): Promise<{ status: string; verify: string }> {
  const { stdout } = await exec("curl", [
    ...["-sS", "-o", "/dev/null", "-w", "%{http_code} %{ssl_verify_result}", "--max-time", "10"],
    ...["--cacert", rootFile, "--resolve", `${HOST}:${ports.tls}:127.0.0.1`, `https://${HOST}:${ports.tls}/`],
  ]);
  const [status = "", verify = ""] = stdout.split(" ");
  return { status, verify };
}

function handshake(): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(
      { host: "127.0.0.1", port: ports.tls, servername: HOST, rejectUnauthorized: false },
      () => {
        resolve(socket.getPeerCertificate().serialNumber);
        socket.end();
      },
    );
    socket.on("error", reject);
  });
}

type Item = { hostname: string; status: string; detail: string; certificate: { notAfter: string } | null };

async function untilActive(timeoutMs: number): Promise<Item> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { json } = await api<{ items: Item[] }>("GET", "/apps/shop/domains");
    const item = json.items.find((i) => i.hostname === HOST);
    if (item?.status === "active") return item;
    if (Date.now() > deadline) throw new Error(`${HOST} not active: ${JSON.stringify(item)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

const orders = (output: string) => output.split("Ordering certificate").length - 1;

beforeAll(async () => {
  if (missing) return;
  dataDir = mkdtempSync(join(tmpdir(), "kli8nt-domains-e2e-"));
  ports = {
    api: await freePort(),
    router: Number(env.KLI8NT_TEST_LOCAL_ACME_HTTP_PORT),
    tls: await freePort(),
  };
  const { stdout: root } = await exec("curl", [
    ...["-fsS", "--cacert", env.KLI8NT_TEST_LOCAL_ACME_CA_FILE ?? ""],
    `${env.KLI8NT_TEST_LOCAL_ACME_MANAGEMENT}/roots/0`,
  ]);
  rootFile = join(dataDir, "pebble-root.pem");
  writeFileSync(rootFile, root);
  platform = await start();
  const created = await api("POST", "/apps", {
    name: "shop",
    repository: { url: "https://github.com/example/shop.git", branch: "main" },
  });
  expect(created.status).toBe(201);
}, 120_000);

afterAll(async () => {
  await platform?.stop();
  if (env.KLI8NT_E2E_OUTPUT) writeFileSync(env.KLI8NT_E2E_OUTPUT, earlier + (platform?.output() ?? ""));
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe.skipIf(missing)("custom domains through kli8nt start and Pebble", () => {
  it("routes a new domain to its app over HTTP at once, then serves HTTPS with Pebble's certificate", {
    timeout: 60_000,
  }, async () => {
    expect((await viaRouter(HOST)).code).toBe("ROUTER_UNKNOWN_HOST");
    const added = await api<Item>("POST", "/apps/shop/domains", { hostname: "Shop.Example.Test." });
    expect(added.status).toBe(201);
    expect(added.json).toMatchObject({ hostname: HOST, status: "pending" });
    expect((await viaRouter(HOST)).code).toBe("APP_NOT_FOUND");
    const active = await untilActive(45_000);
    expect(active.certificate?.notAfter).toBeDefined();
    expect(await curlHttps()).toEqual({ status: "404", verify: "0" });
    const redirect = await viaRouter(HOST, "/path?q=1");
    expect(redirect).toMatchObject({ status: 308, location: `https://${HOST}:${ports.tls}/path?q=1` });
    expect(orders(platform?.output() ?? "")).toBe(1);
  });

  // acme.sh's certificates live 60 s and are renewed after 40 s: the restart must come before that.
  it("reuses the stored certificate after a restart on the same data dir", { timeout: 90_000 }, async () => {
    const before = await handshake();
    await platform?.stop();
    earlier += platform?.output() ?? "";
    platform = await start();
    await untilActive(10_000);
    // The stored certificate is installed by the first reconcile, just after start.
    let served = "";
    for (let i = 0; i < 50 && served === ""; i++) {
      served = await handshake().catch(async () => {
        await new Promise((r) => setTimeout(r, 100));
        return "";
      });
    }
    expect(served).toBe(before);
    expect(orders(platform.output())).toBe(0);
  });

  it("DELETE removes the route and the certificate", { timeout: 30_000 }, async () => {
    expect((await api("DELETE", `/apps/shop/domains/${HOST}`)).status).toBe(204);
    expect((await api<{ items: Item[] }>("GET", "/apps/shop/domains")).json.items).toEqual([]);
    expect((await viaRouter(HOST)).code).toBe("ROUTER_UNKNOWN_HOST");
    await expect(handshake()).rejects.toThrow();
  });
});
