import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";

// TLS material for the suites that reach apps through the test ingress without cert-manager.

export /** A CA and a serving certificate for `host` (what cert-manager would put in the TLS Secret). */
function tlsFor(host: string) {
  const dir = mkdtempSync(join(tmpdir(), "kli8nt-ingress-tls-"));
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  try {
    openssl(
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=test-ca",
      "-keyout",
      "ca.key",
      "-out",
      "ca.crt",
    );
    openssl(
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      `/CN=${host}`,
      "-keyout",
      "tls.key",
      "-out",
      "tls.csr",
    );
    const ext = join(dir, "ext");
    writeFileSync(ext, `subjectAltName=DNS:${host}\n`);
    openssl(
      "x509",
      "-req",
      "-in",
      "tls.csr",
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "1",
      "-extfile",
      ext,
      "-out",
      "tls.crt",
    );
    const read = (name: string) => readFileSync(join(dir, name));
    return { ca: read("ca.crt"), crt: read("tls.crt"), key: read("tls.key") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** GET https://host/path at the ingress's address (what `curl --resolve` does), trusting only `ca`. */
export function httpsGet(
  ip: string,
  port: number,
  host: string,
  path: string,
  ca: Buffer,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: ip, port, path, servername: host, ca, headers: { host } }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => {
        body += c.toString();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}
