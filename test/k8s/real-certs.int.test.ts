import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { customDomainName, renderApp, resolveSettings } from "@kli8nt/manifests";
import { eventually, failUnderCi } from "@kli8nt/testkit";
import { CoreV1Api, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeKubeApi } from "../../apps/deploy-controller/src/kubernetes/kube-api.ts";
import { type DomainRow, syncDomains } from "../../apps/deploy-controller/src/kubernetes/sync-domains.ts";
import { applyRendered, realNodePlacement } from "./real-node.ts";

// A real certificate for the Ingress packages/manifests renders: cert-manager's ingress-shim reads the
// issuer annotation and asks Pebble (scripts/infra/certs.sh) for the host's certificate; Pebble validates
// HTTP-01 through Traefik on port 80 (the solver pod runs on the real node); Traefik then serves
// https://<app>.<apps domain> with it, checked by curl against Pebble's root. cert-manager runs for this
// suite's namespace only, so the issuer is the namespaced kind (the `certificateIssuer` setting).
const env = {
  kubeconfig: process.env.KLI8NT_TEST_KUBECONFIG,
  node: process.env.KLI8NT_TEST_NODE_NAME,
  taint: process.env.KLI8NT_TEST_NODE_TAINT,
  image: process.env.KLI8NT_TEST_NODE_WEB_IMAGE,
  ingressIp: process.env.KLI8NT_TEST_INGRESS_IP,
  acmeServer: process.env.KLI8NT_TEST_ACME_SERVER,
  acmeCaBundle: process.env.KLI8NT_TEST_ACME_CA_BUNDLE,
  acmeRoot: process.env.KLI8NT_TEST_ACME_ROOT,
  acmeDns: process.env.KLI8NT_TEST_ACME_DNS,
  acmeDnsManagement: process.env.KLI8NT_TEST_ACME_DNS_MANAGEMENT,
  certManager: process.env.KLI8NT_TEST_CERT_MANAGER,
  solverImage: process.env.KLI8NT_TEST_ACME_SOLVER_IMAGE,
};
const missing = Object.entries(env)
  .filter(([, v]) => !v)
  .map(([k]) => k);
failUnderCi(
  missing.length > 0,
  `the real-certificate suite needs ${missing.join(", ")}: start_node, start_ingress and start_certs (scripts/infra) did not run`,
);

const suffix = randomBytes(3).toString("hex");

interface Condition {
  type: string;
  status: string;
  message?: string;
}

/** The ACME Issuer at Pebble; its HTTP-01 solver pods go to the real node, behind the `nginx` class. */
function acmeIssuer() {
  const [key, rest = ""] = (env.taint ?? "").split("=");
  const [value, effect] = rest.split(":");
  return {
    apiVersion: "cert-manager.io/v1",
    kind: "Issuer",
    metadata: { name: "letsencrypt" },
    spec: {
      acme: {
        server: env.acmeServer,
        caBundle: readFileSync(env.acmeCaBundle ?? "").toString("base64"),
        email: "ops@example.com",
        privateKeySecretRef: { name: "letsencrypt-account" },
        solvers: [
          {
            http01: {
              ingress: {
                ingressClassName: process.env.KLI8NT_TEST_INGRESS_CLASS ?? "nginx",
                // The app namespace's quota allows no NodePort (cert-manager's default).
                serviceType: "ClusterIP",
                podTemplate: {
                  spec: {
                    nodeSelector: { "kubernetes.io/hostname": env.node },
                    tolerations: [{ key, operator: "Equal", value, effect }],
                  },
                },
              },
            },
          },
        ],
      },
    },
  };
}

// The real node's placement is the only setting besides the issuer (see above) and the names.
const settings = () =>
  resolveSettings({
    appsDomain: "apps.test.invalid",
    namespacePrefix: `crt${suffix}-`,
    certificateIssuer: { kind: "Issuer", name: "letsencrypt" },
    podPlacement: realNodePlacement(env.taint ?? "", env.node ?? ""),
  });

/** curl as a user would: Pebble's root as the only trust anchor, the host resolved to the ingress. */
const curl = (url: string, port: number) =>
  promisify(execFile)("curl", [
    "-sS",
    "--fail",
    "--cacert",
    env.acmeRoot ?? "",
    "--resolve",
    `${new URL(url).hostname}:${port}:${env.ingressIp}`,
    url,
  ]);

describe.skipIf(missing.length > 0)(
  "real certificates: cert-manager + Pebble over HTTP-01 through Traefik",
  () => {
    const kc = new KubeConfig();
    const app = { id: `app_${suffix}`, name: `tls${suffix}` };
    let namespace = "";
    let controller: ChildProcess | undefined;
    let controllerLog = "";

    beforeAll(() => {
      kc.loadFromFile(env.kubeconfig ?? "");
    });

    afterAll(async () => {
      controller?.kill("SIGTERM");
      if (!namespace) return;
      await kc
        .makeApiClient(CoreV1Api)
        .deleteNamespace({ name: namespace, gracePeriodSeconds: 0 })
        .catch(() => undefined);
    });

    it("issues the certificate the rendered Ingress asks for and serves the app with it", async () => {
      const manifests = renderApp(
        app,
        {
          deploymentId: `dep_${suffix}`,
          image: env.image ?? "",
          port: 8080,
          healthCheck: { path: "/healthz" },
        },
        settings(),
      );
      namespace = manifests.names.namespace;
      const host = manifests.names.host;
      expect(manifests.ingress.metadata?.annotations?.["cert-manager.io/issuer"]).toBe("letsencrypt");
      const started = Date.now();
      await applyRendered(kc, manifests);
      await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
        group: "cert-manager.io",
        version: "v1",
        namespace,
        plural: "issuers",
        body: acmeIssuer(),
      });
      controller = spawn(
        env.certManager ?? "",
        [
          `--kubeconfig=${env.kubeconfig}`,
          `--namespace=${namespace}`,
          `--acme-http01-solver-image=${env.solverImage}`,
          `--acme-http01-solver-nameservers=${env.acmeDns}`,
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      const keep = (chunk: Buffer) => {
        controllerLog = (controllerLog + chunk.toString()).slice(-6000);
      };
      controller.stdout?.on("data", keep);
      controller.stderr?.on("data", keep);

      const custom = kc.makeApiClient(CustomObjectsApi);
      let last: Condition[] = [];
      await eventually(
        `Certificate ${manifests.names.tlsSecret} Ready`,
        async () => {
          const cert = (await custom.getNamespacedCustomObject({
            group: "cert-manager.io",
            version: "v1",
            namespace,
            plural: "certificates",
            name: manifests.names.tlsSecret,
          })) as { status?: { conditions?: Condition[] } };
          last = cert.status?.conditions ?? [];
          return last.some((c) => c.type === "Ready" && c.status === "True") ? true : undefined;
        },
        150_000,
      ).catch((error: unknown) => {
        throw new Error(`certificate not ready: ${JSON.stringify(last)}\n${controllerLog}`, { cause: error });
      });
      console.info(`real certificates: Certificate Ready ${Date.now() - started} ms after apply`);

      const page = await eventually(
        "the app's page over HTTPS with the issued certificate",
        () => curl(`https://${host}/`, 443),
        60_000,
      );
      console.info(`real certificates: first verified HTTPS answer ${Date.now() - started} ms after apply`);
      expect(page.stdout).toBe("kli8nt test web \n");
    }, 240_000);

    // The deploy controller's domain pass (syncDomains, ADR 0223) against the same cert-manager and Pebble:
    // a custom domain is served over HTTP at once, its Certificate issues over HTTP-01 through Traefik,
    // the pass reads Ready and adds TLS, and the domain answers over HTTPS with Pebble's certificate.
    it("issues a custom domain's certificate through the deploy controller's domain pass", async () => {
      expect(namespace, "the first test deployed the app and started cert-manager").not.toBe("");
      const api = makeKubeApi(kc);
      const hostname = `www.shop${suffix}.example.test`;
      const row: DomainRow = { appId: app.id, hostname, status: "pending", detail: null, notAfter: null };
      const pass = () => syncDomains(api, settings(), [{ app, domains: [row] }]);
      const started = Date.now();
      expect(await pass()).toEqual([]);
      const plain = await eventually("the domain over plain HTTP before its certificate", () =>
        promisify(execFile)("curl", [
          "-sS",
          "--fail",
          "--resolve",
          `${hostname}:80:${env.ingressIp}`,
          `http://${hostname}/`,
        ]),
      );
      expect(plain.stdout).toBe("kli8nt test web \n");
      let last: unknown;
      const active = await eventually(
        "the domain active",
        async () => {
          const [update] = await pass();
          last = update;
          return update?.status === "active" ? update : undefined;
        },
        150_000,
        1000,
      ).catch((error: unknown) => {
        throw new Error(`domain not active: ${JSON.stringify(last)}\n${controllerLog}`, { cause: error });
      });
      console.info(`real certificates: custom domain active ${Date.now() - started} ms after the first pass`);
      // What ADR 0224 finds a pending domain's Challenges by: cert-manager's Order carries the
      // Certificate's labels and its certificate-name and revision annotations.
      const orders = await api.objects.list(
        "acme.cert-manager.io/v1",
        "Order",
        namespace,
        undefined,
        undefined,
        undefined,
        undefined,
        "kli8nt.io/custom-domain=true",
      );
      expect(orders.items.map((o) => o.metadata?.annotations)).toContainEqual(
        expect.objectContaining({
          "cert-manager.io/certificate-name": customDomainName(app, hostname),
          "cert-manager.io/certificate-revision": "1",
        }),
      );
      expect(active.notAfter?.getTime()).toBeGreaterThan(Date.now());
      // The next pass sees an active row and adds TLS and the redirect.
      expect(await pass()).toEqual([active]);
      expect(await syncDomains(api, settings(), [{ app, domains: [{ ...row, ...active }] }])).toEqual([]);
      const page = await eventually(
        "the custom domain over HTTPS with its issued certificate",
        () => curl(`https://${hostname}/`, 443),
        60_000,
      );
      console.info(
        `real certificates: custom domain over HTTPS ${Date.now() - started} ms after the first pass`,
      );
      expect(page.stdout).toBe("kli8nt test web \n");
    }, 240_000);

    // ADR 0224: a domain whose DNS does not point at the cluster. cert-manager's HTTP-01 self check fails and
    // is retried for ever without failing the request; the pass reads the Challenge's reason into `detail`.
    it("gives a pending custom domain its self check's reason from cert-manager's Challenge", async () => {
      expect(namespace, "the first test deployed the app and started cert-manager").not.toBe("");
      const api = makeKubeApi(kc);
      const hostname = `stuck.shop${suffix}.example.test`;
      // An address nothing answers on (TEST-NET-1) for this one name in the test DNS.
      const added = await fetch(`${env.acmeDnsManagement}/add-a`, {
        method: "POST",
        body: JSON.stringify({ host: `${hostname}.`, addresses: ["192.0.2.1"] }),
      });
      expect(added.ok).toBe(true);
      const row: DomainRow = { appId: app.id, hostname, status: "pending", detail: null, notAfter: null };
      const started = Date.now();
      const update = await eventually(
        "the pending domain's challenge reason",
        async () => {
          const [u] = await syncDomains(api, settings(), [{ app, domains: [row] }]);
          return u?.detail ? u : undefined;
        },
        120_000,
        1000,
      ).catch((error: unknown) => {
        throw new Error(`no reason read\n${controllerLog}`, { cause: error });
      });
      console.info(
        `real certificates: self check reason read ${Date.now() - started} ms after the first pass: ${update.detail}`,
      );
      expect(update).toMatchObject({ status: "pending", notAfter: null });
      expect(update.detail).toContain("self check");
      expect(update.detail).toContain(hostname);
    }, 180_000);
  },
);
