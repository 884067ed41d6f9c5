import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createPrivateKey } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually, failUnderCi, freePort, hasCommand } from "@kli8nt/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  mintRegistryToken,
  type RegistryTokenIssuer,
} from "../../../build-controller/src/kaniko-job/registry-token.ts";
import { registryOptions } from "./registry-auth.ts";
import { registryImages } from "./registry-images.ts";
import { pushTestImage, tagStatus } from "./registry-test-images.ts";

// A deleted app's images and cache removed from a registry that needs auth (issue 20): Debian's
// docker-registry (distribution 2.8) with token auth and delete enabled, and a token service in this test
// that grants what a robot account asks for with the right Basic credentials, as Harbor or a docker_auth
// server does. The controller reads the account from a Docker config file (KLI8NT_REGISTRY_AUTH_FILE).
const hasRegistry = hasCommand("docker-registry");
failUnderCi(!hasRegistry, "docker-registry is not installed (apt-get install docker-registry)");

const ROBOT = { username: "robot", password: "s3cret-robot" };

describe.skipIf(!hasRegistry)("registry images removed from a registry that needs auth", () => {
  const dir = mkdtempSync(join(tmpdir(), "kli8nt-auth-registry-"));
  let registry: ChildProcess;
  let tokenServer: Server;
  let base: string;
  let host: string;
  let issuer: RegistryTokenIssuer;
  const asked: string[] = [];

  beforeAll(async () => {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        join(dir, "token.key"),
        "-out",
        join(dir, "token.crt"),
        "-days",
        "1",
        "-subj",
        "/CN=token",
      ],
      { stdio: "ignore" },
    );
    issuer = {
      key: createPrivateKey(readFileSync(join(dir, "token.key"))),
      certificate: readFileSync(join(dir, "token.crt"), "utf8"),
      issuer: "test-token-service",
      service: "test-registry",
    };
    const expected = `Basic ${Buffer.from(`${ROBOT.username}:${ROBOT.password}`).toString("base64")}`;
    tokenServer = createServer((req, res) => {
      if (req.headers.authorization !== expected) {
        res.writeHead(401).end();
        return;
      }
      const scope = new URL(req.url ?? "/", "http://x").searchParams.get("scope") ?? "";
      asked.push(scope);
      const [, name = "", actions = ""] = scope.split(":");
      // The test's own grants include delete, which the build's RepositoryAccess does not name.
      const access = [{ name, actions: actions.split(",") as ("pull" | "push")[] }];
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ token: mintRegistryToken(issuer, "robot", access, 300), expires_in: 300 }));
    });
    const tokenPort = await freePort();
    await new Promise<void>((resolve) => tokenServer.listen(tokenPort, "127.0.0.1", resolve));
    const port = await freePort();
    host = `127.0.0.1:${port}`;
    base = `http://${host}`;
    writeFileSync(
      join(dir, "config.yml"),
      [
        "version: 0.1",
        "log: {level: warn, accesslog: {disabled: true}}",
        `storage: {filesystem: {rootdirectory: ${join(dir, "data")}}, delete: {enabled: true}}`,
        `http: {addr: "${host}"}`,
        "auth:",
        "  token:",
        `    realm: http://127.0.0.1:${tokenPort}/token`,
        `    service: ${issuer.service}`,
        `    issuer: ${issuer.issuer}`,
        `    rootcertbundle: ${join(dir, "token.crt")}`,
      ].join("\n"),
    );
    registry = spawn("docker-registry", ["serve", join(dir, "config.yml")], { stdio: "ignore" });
    await eventually(
      "the registry answering 401",
      async () =>
        (await fetch(`${base}/v2/`).then(
          (r) => r.status,
          () => 0,
        )) === 401
          ? true
          : undefined,
      30_000,
      200,
    );
  }, 60_000);

  afterAll(async () => {
    registry?.kill();
    await new Promise((resolve) => tokenServer?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const tokenFor = (repository: string) =>
    `Bearer ${mintRegistryToken(issuer, "test", [{ name: repository, actions: ["pull", "push"] }], 300)}`;

  it("deletes every tag of the app and its cache with the robot account's tokens; anonymous is refused", async () => {
    await pushTestImage(base, "kli8nt/shop", ["dep-1", "dep-2"], tokenFor("kli8nt/shop"));
    await pushTestImage(base, "kli8nt/shop/cache", ["c0ffee"], tokenFor("kli8nt/shop/cache"));
    await pushTestImage(base, "kli8nt/other", ["dep-9"], tokenFor("kli8nt/other"));

    // Without credentials the registry's 401 is a clear failure, retried by the next resync.
    const anonymous = registryImages({ registry: `${host}/kli8nt`, insecure: true });
    await expect(anonymous.remove("shop")).rejects.toMatchObject({ code: "REGISTRY_REQUEST_FAILED" });

    writeFileSync(
      join(dir, "docker-config.json"),
      JSON.stringify({
        auths: { [host]: { auth: Buffer.from(`${ROBOT.username}:${ROBOT.password}`).toString("base64") } },
      }),
    );
    const residue = registryImages(
      registryOptions({
        registry: `${host}/kli8nt`,
        insecure: true,
        authFile: join(dir, "docker-config.json"),
      }),
    );
    await residue.remove("shop");
    const read = (repository: string, tag: string) => tagStatus(base, repository, tag, tokenFor(repository));
    expect(await read("kli8nt/shop", "dep-1")).toBe(404);
    expect(await read("kli8nt/shop", "dep-2")).toBe(404);
    expect(await read("kli8nt/shop/cache", "c0ffee")).toBe(404);
    expect(await read("kli8nt/other", "dep-9")).toBe(200);
    expect(asked).toContain("repository:kli8nt/shop:pull,delete");
    expect(asked).toContain("repository:kli8nt/shop/cache:pull,delete");
    // Idempotent: a second removal finds nothing to delete.
    await residue.remove("shop");

    // Wrong credentials: the token service's refusal is named.
    writeFileSync(
      join(dir, "docker-config.json"),
      JSON.stringify({ auths: { [host]: { username: "robot", password: "wrong" } } }),
    );
    const refused = registryImages(
      registryOptions({
        registry: `${host}/kli8nt`,
        insecure: true,
        authFile: join(dir, "docker-config.json"),
      }),
    );
    await expect(refused.remove("other")).rejects.toMatchObject({ code: "REGISTRY_AUTH_FAILED" });
  });
});
