import { type Database, openTestDatabase } from "@kli8nt/db";
import { eventually, failUnderCi } from "@kli8nt/testkit";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Harness, type Instance } from "./deploy-controller-harness.ts";
import { realNodePlacement } from "./real-node.ts";
import { httpsGet, tlsFor } from "./real-tls.ts";

// The deploy controller (in-process, as in deploy-controller.int.test.ts) with the `podPlacement`
// setting that puts its app pods on the real node: a release whose pods never pass their readiness
// probe is rolled back for real, and the previous pod keeps answering through Traefik over HTTPS the
// whole time (a load loop with zero failed requests).
const env = {
  kubeconfig: process.env.KLI8NT_TEST_KUBECONFIG,
  node: process.env.KLI8NT_TEST_NODE_NAME,
  taint: process.env.KLI8NT_TEST_NODE_TAINT,
  image: process.env.KLI8NT_TEST_NODE_WEB_IMAGE,
  unready: process.env.KLI8NT_TEST_NODE_UNREADY_IMAGE,
  ingressIp: process.env.KLI8NT_TEST_INGRESS_IP,
  httpsPort: process.env.KLI8NT_TEST_INGRESS_HTTPS_PORT,
};
const missing = Object.entries(env)
  .filter(([, v]) => !v)
  .map(([k]) => k);
failUnderCi(
  missing.length > 0,
  `the real-rollout suite needs ${missing.join(", ")}: start_kubernetes, start_node and start_ingress (scripts/infra) did not run`,
);

/** Requests the app until stopped; every answer that is not the app's page counts as a failure. */
function loadLoop(get: () => Promise<{ status: number; body: string }>, page: string) {
  let running = true;
  const failures: string[] = [];
  let ok = 0;
  const done = (async () => {
    while (running) {
      try {
        const reply = await get();
        if (reply.status === 200 && reply.body === page) ok += 1;
        else failures.push(`${reply.status} ${reply.body.slice(0, 80)}`);
      } catch (error) {
        failures.push(String(error));
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      return { ok, failures };
    },
  };
}

describe.skipIf(missing.length > 0)(
  "real rollout: a failing release is rolled back while the old pod serves",
  () => {
    const kc = new KubeConfig();
    let database: Database;
    let h: Harness;
    let instance: Instance;

    beforeAll(async () => {
      kc.loadFromFile(env.kubeconfig ?? "");
      database = await openTestDatabase("pglite");
      h = new Harness(kc, database, 10, {
        replicas: 1,
        podPlacement: realNodePlacement(env.taint ?? "", env.node ?? ""),
      });
      instance = await h.start();
    });

    afterAll(async () => {
      await h?.close();
      await database?.close();
    });

    it("keeps serving the live release through the ingress with zero failed requests", async () => {
      const app = await h.newApp();
      const v1 = await h.queueDeploy(app, env.image ?? "");
      expect((await h.settledInform(instance, v1.deploymentId)).state).toBe("live");
      const namespace = h.namespaceOf(app);
      const host = `${app.name}.apps.test.invalid`;
      // The TLS Secret the Ingress names (no cert-manager in this suite: real-certs.int.test.ts has it).
      const tls = tlsFor(host);
      await kc.makeApiClient(CoreV1Api).createNamespacedSecret({
        namespace,
        body: {
          metadata: { name: `${app.name}-tls` },
          type: "kubernetes.io/tls",
          data: { "tls.crt": tls.crt.toString("base64"), "tls.key": tls.key.toString("base64") },
        },
      });
      const get = () => httpsGet(env.ingressIp ?? "", Number(env.httpsPort), host, "/", tls.ca);
      const page = "kli8nt test web \n";
      await eventually("v1 through the ingress", async () =>
        (await get()).body === page ? true : undefined,
      );

      const load = loadLoop(get, page);
      const started = Date.now();
      const v2 = await h.queueDeploy(app, env.unready ?? "");
      const failed = await h.settledInform(instance, v2.deploymentId);
      console.info(`real rollout: v2 failed and rolled back ${Date.now() - started} ms after DEPLOY`);
      // A little more load after the rollback: the surge pod is gone, v1 alone serves.
      await new Promise((r) => setTimeout(r, 2000));
      const { ok, failures } = await load.stop();
      console.info(
        `real rollout: ${ok} requests answered by v1 during the attempt, ${failures.length} failed`,
      );

      expect(failed.state).toBe("failed");
      expect(failed.reason).toContain("rolled back to the previous ReplicaSet");
      expect(failures).toEqual([]);
      expect(ok).toBeGreaterThan(20);
      await eventually("only v1 running", async () => {
        const images = await h.runningImages(namespace);
        return images.length === 1 && images[0] === v1.image ? true : undefined;
      });
    }, 240_000);
  },
);
