import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRouter, type Router } from "./create-router.ts";
import { DomainTable } from "./domain-table.ts";
import { MemoryRouteTable } from "./memory-route-table.ts";
import { send, startEchoUpstream, type Upstream } from "./testing.ts";

// Custom domains on the real router (ADR 0221): plain HTTP at once, HTTPS by SNI with a real certificate
// (a self-signed one made by openssl), the redirect once active, and ACME challenges for any host.
let dir: string;
let cert: { chainPem: string; keyPem: string };
const table = new MemoryRouteTable();
const domains = new DomainTable();
let router: Router;
let shop: Upstream;

function selfSigned(hostname: string): { chainPem: string; keyPem: string } {
  const key = path.join(dir, `${hostname}.key`);
  const crt = path.join(dir, `${hostname}.crt`);
  execFileSync(
    "openssl",
    [
      ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
      ...["-keyout", key, "-out", crt, "-days", "1", "-subj", `/CN=${hostname}`],
      ...["-addext", `subjectAltName=DNS:${hostname}`],
    ],
    { stdio: "ignore" },
  );
  return { chainPem: readFileSync(crt, "utf8"), keyPem: readFileSync(key, "utf8") };
}

function getHttps(
  servername: string,
  urlPath = "/",
): Promise<{ status: number; body: string; proto: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: router.tlsPort,
        servername,
        path: urlPath,
        headers: { host: servername },
        ca: cert.chainPem,
        agent: false,
      },
      (res) => {
        let body = "";
        res.on("data", (c: Buffer) => {
          body += c.toString();
        });
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            body,
            proto: res.statusCode === 200 ? JSON.parse(body).headers["x-forwarded-proto"] : "",
          }),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "kli8nt-router-tls-"));
  cert = selfSigned("www.example.test");
  shop = await startEchoUpstream("shop");
  table.set("shop", { kind: "upstream", url: shop.url });
  router = await createRouter({ port: 0, tlsPort: 0, table, domains });
});
afterAll(async () => {
  await router.close();
  await shop.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("router: custom domains", () => {
  it("serves a domain over HTTP as its app from the moment it is added", async () => {
    expect((await send({ port: router.port, host: "www.example.test" })).status).toBe(404);
    domains.set("www.example.test", "shop");
    const res = await send({ port: router.port, host: "WWW.example.test:80" });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ name: "shop" });
  });

  it("answers an ACME challenge for any host, and 404s an unknown token as the app would", async () => {
    domains.setChallenge("tok_en-1", "tok_en-1.thumbprint");
    for (const host of ["www.example.test", "other.example.test", "shop.localhost"]) {
      const res = await send({ port: router.port, host, path: "/.well-known/acme-challenge/tok_en-1" });
      expect(res.status).toBe(200);
      expect(res.body).toBe("tok_en-1.thumbprint");
    }
    domains.deleteChallenge("tok_en-1");
    const gone = await send({
      port: router.port,
      host: "other.example.test",
      path: "/.well-known/acme-challenge/tok_en-1",
    });
    expect(gone.status).toBe(404);
  });

  it("refuses a TLS handshake for a name without a certificate, cleanly", async () => {
    const error = await new Promise<Error>((resolve) => {
      const socket = connect({
        host: "127.0.0.1",
        port: router.tlsPort,
        servername: "www.example.test",
        ca: cert.chainPem,
      });
      socket.on("error", resolve);
      socket.on("secureConnect", () => resolve(new Error("handshake succeeded")));
    });
    expect(error.message).not.toBe("handshake succeeded");
    expect((await send({ port: router.port, host: "www.example.test" })).status).toBe(200);
  });

  it("serves HTTPS by SNI once active, and redirects HTTP there with 308 (challenges excepted)", async () => {
    domains.set("www.example.test", "shop", cert);
    const https = await getHttps("www.example.test", "/page?q=1");
    expect(https).toMatchObject({ status: 200, proto: "https" });
    const redirect = await send({
      port: router.port,
      host: "www.example.test",
      path: "/page?q=1",
      method: "POST",
    });
    expect(redirect.status).toBe(308);
    expect(redirect.headers.location).toBe(`https://www.example.test:${router.tlsPort}/page?q=1`);
    domains.setChallenge("renew", "renew.thumbprint");
    const challenge = await send({
      port: router.port,
      host: "www.example.test",
      path: "/.well-known/acme-challenge/renew",
    });
    expect(challenge.body).toBe("renew.thumbprint");
    // App hosts stay plain HTTP.
    expect((await send({ port: router.port, host: "shop.localhost" })).status).toBe(200);
  });

  it("names the public HTTPS port in the 308 when a forward sits in front (443 → the router's port)", async () => {
    const behind = new DomainTable();
    behind.set("www.example.test", "shop", cert);
    const forwarded = await createRouter({ port: 0, tlsPort: 0, publicTlsPort: 443, table, domains: behind });
    try {
      const redirect = await send({ port: forwarded.port, host: "www.example.test", path: "/a?b=1" });
      expect(redirect.status).toBe(308);
      expect(redirect.headers.location).toBe("https://www.example.test/a?b=1");
    } finally {
      await forwarded.close();
    }
  });

  it("forgets a deleted domain: no route, no certificate", async () => {
    domains.delete("www.example.test");
    expect((await send({ port: router.port, host: "www.example.test" })).status).toBe(404);
    await expect(getHttps("www.example.test")).rejects.toThrow();
  });

  it("refuses a certificate that does not load when it is written", () => {
    expect(() => domains.set("bad.example.test", "shop", { chainPem: "nope", keyPem: "nope" })).toThrow(
      /does not load/,
    );
  });
});
