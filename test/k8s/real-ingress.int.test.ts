import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as plainRequest } from "node:http";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderApp, resolveSettings } from "@kli8nt/manifests";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "./deploy-controller-cluster.ts";
import { applyRendered, realNodePlacement } from "./real-node.ts";

// The objects packages/manifests renders for an app (namespace, quota, policies, Deployment, Service,
// Ingress of the default class `nginx` with its ssl-redirect annotation), applied as the deploy
// controller applies them, served by the test cluster's Traefik (scripts/infra/ingress.sh, its Ingress
// NGINX provider). The pod runs on the real node; Traefik routes https://<app>.<apps domain> to it through
// the Service's EndpointSlice. The only setting besides names is `podPlacement`: the real node's
// toleration and node selector on the pod template (kwok nodes would never run it).
const env = {
  kubeconfig: process.env.KLI8NT_TEST_KUBECONFIG,
  node: process.env.KLI8NT_TEST_NODE_NAME,
  taint: process.env.KLI8NT_TEST_NODE_TAINT,
  image: process.env.KLI8NT_TEST_NODE_WEB_IMAGE,
  ingressClass: process.env.KLI8NT_TEST_INGRESS_CLASS,
  ingressIp: process.env.KLI8NT_TEST_INGRESS_IP,
  httpsPort: process.env.KLI8NT_TEST_INGRESS_HTTPS_PORT,
  httpPort: process.env.KLI8NT_TEST_INGRESS_HTTP_PORT,
};
const missing = Object.entries(env)
  .filter(([, v]) => !v)
  .map(([k]) => k);
if (missing.length > 0 && process.env.CI === "true") {
  throw new Error(
    `the real-ingress suite needs ${missing.join(", ")}: start_kubernetes, start_node and start_ingress (scripts/infra) did not run`,
  );
}

const suffix = randomBytes(3).toString("hex");
const APPS_DOMAIN = "apps.test.invalid";

/** A CA and a serving certificate for `host` (what cert-manager would put in the TLS Secret). */
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

/** GET https://host/path through the ingress's address (what `curl --resolve` does). */
function get(host: string, path: string, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: env.ingressIp, port: Number(env.httpsPort), path, servername: host, ca, headers: { host } },
      (res) => {
        let body = "";
        res.on("data", (c: Buffer) => {
          body += c.toString();
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describe.skipIf(missing.length > 0)(
  "real ingress: Traefik serves the Ingress packages/manifests renders",
  () => {
    const kc = new KubeConfig();
    const app = { id: `app_${suffix}`, name: `web${suffix}` };
    let namespace = "";

    beforeAll(() => {
      kc.loadFromFile(env.kubeconfig ?? "");
    });

    afterAll(async () => {
      if (namespace) {
        await kc
          .makeApiClient(CoreV1Api)
          .deleteNamespace({ name: namespace, gracePeriodSeconds: 0 })
          .catch(() => undefined);
      }
    });

    it("routes https://<app>.<apps domain> to the app's pod with the TLS Secret the Ingress names", async () => {
      const manifests = renderApp(
        app,
        {
          deploymentId: `dep_${suffix}`,
          image: env.image ?? "",
          port: 8080,
          healthCheck: { path: "/healthz" },
        },
        // Default settings but the names and the real node's placement (`podPlacement`).
        resolveSettings({
          appsDomain: APPS_DOMAIN,
          namespacePrefix: `ing${suffix}-`,
          podPlacement: realNodePlacement(env.taint ?? "", env.node ?? ""),
        }),
      );
      namespace = manifests.names.namespace;
      const host = manifests.names.host;
      // The chart's default class is the one the test ingress serves: the Ingress goes in unchanged.
      expect(manifests.ingress.spec?.ingressClassName).toBe(env.ingressClass);
      const started = Date.now();
      await applyRendered(kc, manifests);
      const tls = tlsFor(host);
      await kc.makeApiClient(CoreV1Api).createNamespacedSecret({
        namespace,
        body: {
          metadata: { name: manifests.names.tlsSecret },
          type: "kubernetes.io/tls",
          data: { "tls.crt": tls.crt.toString("base64"), "tls.key": tls.key.toString("base64") },
        },
      });

      const answer = await eventually(
        `https://${host}/ through Traefik`,
        async () => {
          const reply = await get(host, "/", tls.ca);
          return reply.status === 200 ? reply : undefined;
        },
        120_000,
      );
      console.info(`real ingress: first 200 through Traefik ${Date.now() - started} ms after apply`);
      expect(answer.body).toBe(`kli8nt test web \n`);
      // ingress-nginx's ssl-redirect annotation, as Traefik's provider implements it.
      const redirect = await new Promise<{ status: number; location: string }>((resolve, reject) => {
        const req = plainRequest(
          { host: env.ingressIp, port: Number(env.httpPort), path: "/x", headers: { host } },
          (res) => {
            res.resume();
            resolve({ status: res.statusCode ?? 0, location: String(res.headers.location) });
          },
        );
        req.on("error", reject);
        req.end();
      });
      expect(redirect.status).toBe(308);
      expect(redirect.location).toBe(`https://${host}/x`);
    }, 180_000);
  },
);
