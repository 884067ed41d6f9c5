import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createServer, type Server } from "node:https";
import { isIP } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A test CA and a server certificate it signed: PEM file paths. */
export interface TestCertificates {
  readonly ca: string;
  readonly key: string;
  readonly cert: string;
}

/**
 * Makes a CA that nothing trusts and a certificate it signs for `host` (a name or an IP address), with the
 * openssl CLI, in `dir`. For tests of code that must trust an organisation's internal CA.
 */
export async function makeTestCertificates(dir: string, host: string): Promise<TestCertificates> {
  const ssl = (...args: string[]) =>
    run("openssl", args, { cwd: dir }).catch((e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT") throw new Error("openssl is not installed: the TLS tests need its CLI");
      throw e;
    });
  await ssl(
    ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=Kli8nt test CA"],
    ...["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"],
    ...["-keyout", "ca.key", "-out", "ca.crt"],
  );
  await ssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    `/CN=${host}`,
    "-keyout",
    "srv.key",
    "-out",
    "srv.csr",
  );
  const san = isIP(host) ? `IP:${host}` : `DNS:${host}`;
  writeFileSync(join(dir, "ext.cnf"), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\n`);
  await ssl(
    ...["x509", "-req", "-in", "srv.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial"],
    ...["-days", "1", "-extfile", "ext.cnf", "-out", "srv.crt"],
  );
  return { ca: join(dir, "ca.crt"), key: join(dir, "srv.key"), cert: join(dir, "srv.crt") };
}

/**
 * HTTPS on 127.0.0.1 in front of a plain-HTTP server (the fake GitHub's git, a test registry), with
 * `tls`'s certificate: a client reaches the server only if it trusts the test CA.
 */
export function startTlsProxy(target: string, tls: TestCertificates): Promise<Server> {
  const upstream = new URL(target);
  const server = createServer({ key: readFileSync(tls.key), cert: readFileSync(tls.cert) }, (req, res) => {
    const up = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}
