import { randomBytes } from "node:crypto";
import { request as plainRequest } from "node:http";
import { renderApp, resolveSettings } from "@kli8nt/manifests";
import { eventually, failUnderCi } from "@kli8nt/testkit";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyRendered, realNodePlacement } from "./real-node.ts";
import { httpsGet, tlsFor } from "./real-tls.ts";

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
failUnderCi(
  missing.length > 0,
  `the real-ingress suite needs ${missing.join(", ")}: start_kubernetes, start_node and start_ingress (scripts/infra) did not run`,
);

const suffix = randomBytes(3).toString("hex");
const APPS_DOMAIN = "apps.test.invalid";

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
          const reply = await httpsGet(env.ingressIp ?? "", Number(env.httpsPort), host, "/", tls.ca);
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
