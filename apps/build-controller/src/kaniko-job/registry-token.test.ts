import { execFileSync } from "node:child_process";
import { generateKeyPairSync, verify, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildAccess, dockerConfigWithToken, mintRegistryToken, repositoryOn } from "./registry-token.ts";

const HOST = "registry.kli8nt.svc:5000";

describe("buildAccess", () => {
  it("grants push and pull on the app's image and cache repositories, pull on base images of the same registry", () => {
    expect(
      buildAccess(HOST, `${HOST}/kli8nt/shop`, `${HOST}/kli8nt/shop/cache`, [
        `${HOST}/base/node:20`,
        `${HOST}/base/node@sha256:${"a".repeat(64)}`,
        "docker.io/library/python:3.12",
      ]),
    ).toEqual([
      { name: "kli8nt/shop", actions: ["pull", "push"] },
      { name: "kli8nt/shop/cache", actions: ["pull", "push"] },
      { name: "base/node", actions: ["pull"] },
    ]);
    expect(repositoryOn(HOST, "other.example/base/node:20")).toBeUndefined();
  });
});

describe("mintRegistryToken", () => {
  it("signs a JWT the registry can verify with the certificate in x5c, scoped and expiring", () => {
    const dir = mkdtempSync(join(tmpdir(), "token-"));
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const keyFile = join(dir, "k.pem");
    execFileSync("sh", ["-c", `cat > ${keyFile}`], {
      input: privateKey.export({ type: "pkcs8", format: "pem" }),
    });
    execFileSync("openssl", [
      "req",
      "-x509",
      "-new",
      "-key",
      keyFile,
      "-out",
      join(dir, "c.pem"),
      "-days",
      "1",
      "-subj",
      "/CN=t",
    ]);
    const certificate = readFileSync(join(dir, "c.pem"), "utf8");
    const now = new Date("2026-12-04T12:00:00Z");
    const token = mintRegistryToken(
      { key: privateKey, certificate, issuer: "kli8nt-build-controller", service: "kli8nt-registry" },
      "build-dep-1",
      [{ name: "kli8nt/shop", actions: ["pull", "push"] }],
      900,
      now,
    );
    const [h = "", c = "", sig = ""] = token.split(".");
    const header = JSON.parse(Buffer.from(h, "base64url").toString());
    const claims = JSON.parse(Buffer.from(c, "base64url").toString());
    expect(header.alg).toBe("ES256");
    const cert = new X509Certificate(Buffer.from(header.x5c[0], "base64"));
    expect(
      verify(
        "sha256",
        Buffer.from(`${h}.${c}`),
        { key: cert.publicKey, dsaEncoding: "ieee-p1363" },
        Buffer.from(sig, "base64url"),
      ),
    ).toBe(true);
    expect(claims).toMatchObject({
      iss: "kli8nt-build-controller",
      aud: "kli8nt-registry",
      sub: "build-dep-1",
      exp: now.getTime() / 1000 + 900,
      access: [{ type: "repository", name: "kli8nt/shop", actions: ["pull", "push"] }],
    });
    expect(JSON.parse(dockerConfigWithToken(HOST, token))).toEqual({
      auths: { [HOST]: { registrytoken: token } },
    });
  });
});
