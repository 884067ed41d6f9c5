import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createPrivateKey } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "@kli8nt/testkit";
import type { RegistryTokenIssuer } from "../../apps/build-controller/src/kaniko-job/registry-token.ts";

const run = promisify(execFile);

/** An EC P-256 key and a self-signed certificate for it (openssl CLI), as the issuer of registry tokens. */
export async function makeTokenIssuer(dir: string, name = "issuer"): Promise<RegistryTokenIssuer> {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  await run("openssl", ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key]);
  await run("openssl", [
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
    key: createPrivateKey(await readFile(key)),
    certificate: await readFile(cert, "utf8"),
    issuer: "kli8nt-build-controller",
    service: "kli8nt-registry",
  };
}

/**
 * A second Debian docker-registry (distribution 2.8) on 127.0.0.1 that accepts only bearer tokens signed
 * by `issuer` (auth.token with its certificate as rootcertbundle), as docs/adr/0140 configures one.
 */
export async function startTokenRegistry(
  dir: string,
  issuer: RegistryTokenIssuer,
): Promise<{ port: number; stop(): void; process: ChildProcess }> {
  const port = await freePort();
  await writeFile(join(dir, "registry-token.crt"), issuer.certificate);
  await writeFile(
    join(dir, "registry.yml"),
    [
      "version: 0.1",
      "log: {level: warn, accesslog: {disabled: true}}",
      `storage: {filesystem: {rootdirectory: ${join(dir, "registry-data")}}}`,
      `http: {addr: "127.0.0.1:${port}"}`,
      "auth:",
      "  token:",
      "    realm: https://kli8nt.invalid/no-token-server",
      `    service: ${issuer.service}`,
      `    issuer: ${issuer.issuer}`,
      `    rootcertbundle: ${join(dir, "registry-token.crt")}`,
    ].join("\n"),
  );
  const child = spawn("docker-registry", ["serve", join(dir, "registry.yml")], { stdio: "ignore" });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = await fetch(`http://127.0.0.1:${port}/v2/`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 401) break;
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`token registry did not start (last status ${status})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { port, process: child, stop: () => child.kill() };
}
