import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createHash, createPrivateKey } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { failUnderCi, freePort, hasCommand } from "@kli8nt/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAccess, mintRegistryToken, type RegistryTokenIssuer } from "./registry-token.ts";

// The per-build token against the real registry of the test machine (Debian docker-registry,
// distribution 2.8) configured for token auth with our certificate: it pushes to its app's repositories
// only, and not after it expired (docs/adr/0140).
const hasRegistry = hasCommand("docker-registry");
failUnderCi(!hasRegistry, "docker-registry is not installed (apt-get install docker-registry)");

function makeIssuer(dir: string, name: string): RegistryTokenIssuer {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  execFileSync("openssl", ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key]);
  execFileSync("openssl", [
    "req",
    "-x509",
    "-new",
    "-key",
    key,
    "-out",
    cert,
    "-days",
    "2",
    "-subj",
    `/CN=${name}`,
  ]);
  return {
    key: createPrivateKey(readFileSync(key)),
    certificate: readFileSync(cert, "utf8"),
    issuer: "kli8nt-build-controller",
    service: "kli8nt-registry",
  };
}

describe.skipIf(!hasRegistry)("per-build registry tokens against distribution 2.8", () => {
  const dir = mkdtempSync(join(tmpdir(), "kli8nt-token-registry-"));
  let registry: ChildProcess;
  let base: string;
  let issuer: RegistryTokenIssuer;
  const HOST = "registry.kli8nt.svc:5000";

  beforeAll(async () => {
    issuer = makeIssuer(dir, "issuer");
    const port = await freePort();
    writeFileSync(
      join(dir, "config.yml"),
      [
        "version: 0.1",
        "log: {level: warn, accesslog: {disabled: true}}",
        `storage: {filesystem: {rootdirectory: ${join(dir, "data")}}}`,
        `http: {addr: "127.0.0.1:${port}"}`,
        "auth:",
        "  token:",
        "    realm: https://kli8nt.invalid/no-token-server",
        `    service: ${issuer.service}`,
        `    issuer: ${issuer.issuer}`,
        `    rootcertbundle: ${join(dir, "issuer.crt")}`,
      ].join("\n"),
    );
    registry = spawn("docker-registry", ["serve", join(dir, "config.yml")], { stdio: "ignore" });
    base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const status = await fetch(`${base}/v2/`).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 401) break;
      if (Date.now() > deadline) throw new Error(`registry did not start (last status ${status})`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }, 60_000);

  afterAll(() => {
    registry?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts an upload and PUTs the blob into it: 201 when the token allows pushing there. */
  async function pushBlob(repository: string, token: string): Promise<number> {
    const authorization = `Bearer ${token}`;
    const started = await fetch(`${base}/v2/${repository}/blobs/uploads/`, {
      method: "POST",
      headers: { authorization },
    });
    if (started.status !== 202) return started.status;
    const body = Buffer.from(`layer of ${repository} ${Math.random()}`);
    const digest = `sha256:${createHash("sha256").update(body).digest("hex")}`;
    const location = new URL(started.headers.get("location") ?? "", base);
    location.searchParams.set("digest", digest);
    const put = await fetch(location, {
      method: "PUT",
      headers: { authorization, "content-type": "application/octet-stream" },
      body,
    });
    return put.status;
  }

  const shopToken = (ttl = 600, now = new Date(), by = issuer) =>
    mintRegistryToken(
      by,
      "build-dep-1",
      buildAccess(HOST, `${HOST}/kli8nt/shop`, `${HOST}/kli8nt/shop/cache`, [`${HOST}/base/node:20`]),
      ttl,
      now,
    );

  it("pushes to its own app's image and cache repositories", async () => {
    const token = shopToken();
    expect(await pushBlob("kli8nt/shop", token)).toBe(201);
    expect(await pushBlob("kli8nt/shop/cache", token)).toBe(201);
  });

  it("cannot push to another app's repositories, nor to the base images it may pull", async () => {
    const token = shopToken();
    expect(await pushBlob("kli8nt/bank", token)).toBe(401);
    expect(await pushBlob("kli8nt/bank/cache", token)).toBe(401);
    expect(await pushBlob("base/node", token)).toBe(401);
    const pull = await fetch(`${base}/v2/base/node/tags/list`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(pull.status).toBe(404); // authorized; the repository just does not exist here
    const foreign = await fetch(`${base}/v2/kli8nt/bank/tags/list`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(foreign.status).toBe(401);
  });

  it("is refused once expired, and when signed by a key the registry does not trust", async () => {
    const past = new Date(Date.now() - 3_600_000);
    expect(await pushBlob("kli8nt/shop", shopToken(600, past))).toBe(401);
    const stranger = makeIssuer(dir, "stranger");
    expect(await pushBlob("kli8nt/shop", shopToken(600, new Date(), stranger))).toBe(401);
  });
});
