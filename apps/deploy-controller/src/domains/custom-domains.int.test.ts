import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect } from "node:tls";
import { promisify } from "node:util";
import {
  createApp,
  createDomain,
  createUser,
  type Database,
  deleteAppDomain,
  domainRoutes,
  findDomain,
  loadAcmeAccount,
  openTestDatabase,
  SecretBox,
} from "@kli8nt/db";
import { createRouter, DomainTable, MemoryRouteTable, type Router } from "@kli8nt/router";
import { failUnderCi } from "@kli8nt/testkit";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AcmeIssuer, trustAcmeCaFile } from "./acme-issuer.ts";
import { type CertificateIssuer, DomainReconciler } from "./domain-reconciler.ts";

// Custom domains on one machine against a real ACME server (ADR 0220-0222): Pebble from scripts/infra/
// acme.sh validates HTTP-01 on the real router, whose HTTP port is the one Pebble dials; its
// challtestsrv resolves every name to 127.0.0.1. Real PGlite, real certificates, real curl.
const env = process.env;
const DIRECTORY = env.KLI8NT_TEST_LOCAL_ACME_DIRECTORY;
const missing = failUnderCi(
  DIRECTORY === undefined,
  "KLI8NT_TEST_LOCAL_ACME_DIRECTORY missing: run start_acme (scripts/infra/acme.sh)",
);
const exec = promisify(execFile);
// Pebble dials one HTTP port; the e2e suite's `kli8nt start` listens on it at 127.0.0.1, so this suite's
// router takes 127.0.0.3 and challtestsrv points this suite's names there (suites run in parallel).
const ROUTER_IP = "127.0.0.3";

let database: Database;
const box = new SecretBox(randomBytes(32));
const routes = new MemoryRouteTable();
let domains: DomainTable;
let router: Router;
let app: Server;
let appId: string;
let reconciler: DomainReconciler;
let rootFile: string;
let orders = 0;
const logger = pino({ level: "silent" });
const settings = { resyncMs: 1000, retryBaseMs: 3000, retryMaxMs: 10_000 };

function counting(issuer: CertificateIssuer): CertificateIssuer {
  return {
    issue: (hostname) => {
      orders += 1;
      return issuer.issue(hostname);
    },
    wildcards: issuer.wildcards === true,
  };
}

async function startPlatformSide(dnsHook?: string): Promise<void> {
  domains = new DomainTable();
  router = await createRouter({
    host: ROUTER_IP,
    port: Number(env.KLI8NT_TEST_LOCAL_ACME_HTTP_PORT),
    tlsPort: 0,
    table: routes,
    domains,
  });
  const issuer = new AcmeIssuer({
    db: database.db,
    box,
    directoryUrl: DIRECTORY ?? "",
    email: "ops@example.test",
    challenges: domains,
    pollMinMs: 200,
    pollMaxMs: 1000,
    dnsHook,
    dnsPropagationMs: 0,
  });
  reconciler = new DomainReconciler({
    db: database.db,
    box,
    domains,
    issuer: counting(issuer),
    logger,
    settings,
  });
  await reconciler.start();
}

async function stopPlatformSide(): Promise<void> {
  await reconciler?.stop();
  await router?.close();
}

function http(host: string, urlPath = "/"): Promise<{ status: number; location?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: ROUTER_IP, port: router.port, path: urlPath, headers: { host }, agent: false },
      (res) => {
        let body = "";
        res.on("data", (c: Buffer) => {
          body += c.toString();
        });
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            body,
            ...(res.headers.location ? { location: res.headers.location } : {}),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/** The real curl, with Pebble's issuing root as the only trust anchor. */
async function curlHttps(hostname: string): Promise<string> {
  const port = router.tlsPort ?? 0;
  const { stdout } = await exec("curl", [
    ...["-fsS", "--max-time", "10", "--cacert", rootFile],
    ...["--resolve", `${hostname}:${port}:${ROUTER_IP}`, `https://${hostname}:${port}/`],
  ]);
  return stdout;
}

function servedSerial(hostname: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(
      { host: ROUTER_IP, port: router.tlsPort ?? 0, servername: hostname, rejectUnauthorized: false },
      () => {
        resolve(socket.getPeerCertificate().serialNumber);
        socket.end();
      },
    );
    socket.on("error", reject);
  });
}

function pointDns(host: string, address: string): Promise<Response> {
  return fetch(`${env.KLI8NT_TEST_LOCAL_ACME_DNS_MANAGEMENT}/add-a`, {
    method: "POST",
    body: JSON.stringify({ host, addresses: [address] }),
  });
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const domainRow = (id: string) => findDomain(database.db, id);

beforeAll(async () => {
  if (missing) return;
  trustAcmeCaFile(env.KLI8NT_TEST_LOCAL_ACME_CA_FILE);
  await pointDns("www.example.test", ROUTER_IP);
  const { stdout: root } = await exec("curl", [
    ...["-fsS", "--cacert", env.KLI8NT_TEST_LOCAL_ACME_CA_FILE ?? ""],
    `${env.KLI8NT_TEST_LOCAL_ACME_MANAGEMENT}/roots/0`,
  ]);
  rootFile = path.join(tmpdir(), `kli8nt-pebble-root-${process.pid}.pem`);
  writeFileSync(rootFile, root);
  database = await openTestDatabase("pglite");
  const owner = await createUser(database.db, { login: "domains-owner" });
  const row = await createApp(database.db, owner.id, {
    name: "shop",
    repository: { url: "https://example.com/r.git", branch: "main", rootDir: "." },
    port: null,
  });
  appId = row.id;
  app = createServer((req, res) =>
    res.end(`shop page for ${req.headers.host} via ${req.headers["x-forwarded-proto"]}`),
  );
  await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
  const address = app.address();
  routes.set("shop", {
    kind: "upstream",
    url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`,
  });
  await startPlatformSide();
});

afterAll(async () => {
  await stopPlatformSide();
  app?.close();
  await database?.close();
});

describe.skipIf(missing)("custom domains with certificates from Pebble", () => {
  let wwwId: string;
  let firstSerial: string;

  it("serves a new domain over HTTP at once, then over HTTPS with Pebble's certificate", {
    timeout: 60_000,
  }, async () => {
    const row = await createDomain(database.db, appId, "www.example.test", false);
    wwwId = row.id;
    await reconciler.resync();
    const plain = await http("www.example.test");
    expect(plain.status).toBe(200);
    expect(plain.body).toBe("shop page for www.example.test via http");

    const active = await until("www.example.test active", 45_000, async () => {
      const r = await domainRow(wwwId);
      return r?.status === "active" ? r : undefined;
    });
    expect(active.certNotAfter?.getTime()).toBeGreaterThan(Date.now());
    expect(active.certChainEnc).not.toContain("BEGIN");
    firstSerial = active.certSerial ?? "";
    expect(await curlHttps("www.example.test")).toBe(
      `shop page for www.example.test:${router.tlsPort} via https`,
    );

    const redirect = await http("www.example.test", "/a?b=c");
    expect(redirect.status).toBe(308);
    expect(redirect.location).toBe(`https://www.example.test:${router.tlsPort}/a?b=c`);
    expect(orders).toBe(1);
    expect((await loadAcmeAccount(database.db, box, DIRECTORY ?? ""))?.accountUrl).toMatch(/^https:/);
  });

  it("reuses the stored certificate and account after a restart: no new order", {
    timeout: 30_000,
  }, async () => {
    await stopPlatformSide();
    orders = 0;
    await startPlatformSide();
    await reconciler.drained();
    expect(orders).toBe(0);
    expect(await servedSerial("www.example.test")).toBe(firstSerial.toUpperCase());
    expect(await curlHttps("www.example.test")).toContain("via https");
  });

  it("renews before expiry: a new serial is served", { timeout: 90_000 }, async () => {
    const renewed = await until("a renewed certificate", 75_000, async () => {
      const r = await domainRow(wwwId);
      return r?.certSerial && r.certSerial !== firstSerial ? r : undefined;
    });
    expect(renewed.status).toBe("active");
    expect(await servedSerial("www.example.test")).toBe(renewed.certSerial?.toUpperCase());
    expect(await curlHttps("www.example.test")).toContain("via https");
  });

  it("shows error with Pebble's reason when the challenge cannot be reached, and keeps serving HTTP", {
    timeout: 60_000,
  }, async () => {
    // challtestsrv now answers 127.0.0.2 for this name, where nothing listens: the validation fails.
    await pointDns("broken.example.test", "127.0.0.2");
    const row = await createDomain(database.db, appId, "broken.example.test", false);
    reconciler.kick();
    const failed = await until("broken.example.test in error", 45_000, async () => {
      const r = await domainRow(row.id);
      return r?.status === "error" ? r : undefined;
    });
    // Pebble's own words, e.g. `Get "http://broken.example.test:<port>/.well-known/acme-challenge/<token>":
    // dial tcp 127.0.0.2:<port>: connect: connection refused`.
    expect(failed.detail).toMatch(
      /broken\.example\.test.*dial tcp 127\.0\.0\.2:\d+: connect: connection refused/,
    );
    expect(failed.attempts).toBe(1);
    expect(failed.nextAttemptAt?.getTime()).toBeGreaterThan(Date.now() - 1000);
    expect((await http("broken.example.test")).status).toBe(200);
  });

  it("serves an admin's wildcard over HTTP and shows why it gets no certificate, without an order", async () => {
    const before = orders;
    const row = await createDomain(database.db, appId, "*.shop.example.test", true);
    await reconciler.resync();
    await reconciler.drained();
    expect(await domainRow(row.id)).toMatchObject({
      status: "error",
      detail: expect.stringContaining("DNS-01"),
    });
    expect(orders).toBe(before);
    expect((await http("any.shop.example.test")).status).toBe(200);
  });

  it("forgets a deleted domain: no route, no certificate", { timeout: 30_000 }, async () => {
    await deleteAppDomain(database.db, appId, "www.example.test");
    await reconciler.resync();
    expect((await http("www.example.test")).status).toBe(404);
    await expect(servedSerial("www.example.test")).rejects.toThrow();
  });
  it("issues an admin's wildcard by DNS-01 through the operator's hook, and shows a failing hook's words", {
    timeout: 120_000,
  }, async () => {
    // The hook as an operator writes one for their DNS provider; here the provider is challtestsrv, the
    // DNS Pebble asks. It logs its calls and refuses the zone fail.example.test as a provider would.
    const dir = mkdtempSync(path.join(tmpdir(), "kli8nt-dns-hook-"));
    const hook = path.join(dir, "dns-hook");
    const calls = path.join(dir, "calls");
    writeFileSync(
      hook,
      [
        "#!/bin/bash",
        "set -eu",
        `echo "$1 $2" >> ${JSON.stringify(calls)}`,
        'if [[ $2 == *fail.example.test. ]]; then echo "provider: zone fail.example.test is not in this account" >&2; exit 3; fi',
        `api=${JSON.stringify(env.KLI8NT_TEST_LOCAL_ACME_DNS_MANAGEMENT ?? "")}`,
        `if [[ $1 == present ]]; then body=$(printf '{"host":"%s","value":"%s"}' "$2" "$3"); path=set-txt; else body=$(printf '{"host":"%s"}' "$2"); path=clear-txt; fi`,
        'curl -fsS -X POST -d "$body" "$api/$path" >/dev/null',
        "",
      ].join("\n"),
      { mode: 0o755 },
    );
    await stopPlatformSide();
    await startPlatformSide(hook);
    // A wildcard added while no hook was set (the test above) is ordered once the hook exists.
    const [wildcard] = (await domainRoutes(database.db)).filter((r) => r.hostname === "*.shop.example.test");
    const failing = await createDomain(database.db, appId, "*.fail.example.test", true);
    reconciler.kick();
    const active = await until("*.shop.example.test active", 60_000, async () => {
      const r = await domainRow(wildcard?.id ?? "");
      if (r?.status === "error" && r.attempts > 0) throw new Error(`the wildcard failed: ${r.detail}`);
      return r?.status === "active" ? r : undefined;
    });
    expect(active.certSerial).toBeTruthy();
    expect(await curlHttps("any.shop.example.test")).toBe(
      `shop page for any.shop.example.test:${router.tlsPort} via https`,
    );
    const failed = await until("*.fail.example.test in error", 30_000, async () => {
      const r = await domainRow(failing.id);
      return r?.status === "error" && r.attempts > 0 ? r : undefined;
    });
    expect(failed.detail).toBe(
      "The DNS hook exited with 3 on present _acme-challenge.fail.example.test.: provider: zone fail.example.test is not in this account",
    );
    const log = readFileSync(calls, "utf8");
    expect(log).toContain("present _acme-challenge.shop.example.test.");
    expect(log).toContain("cleanup _acme-challenge.shop.example.test.");
    rmSync(dir, { recursive: true, force: true });
  });
});
