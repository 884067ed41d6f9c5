import type { App } from "@kli8nt/core";
import {
  createCronJob,
  type Database,
  enqueueAppChanged,
  openTestDatabase,
  saveFormation,
  setAppLifecycle,
  type Tx,
} from "@kli8nt/db";
import { eventually, failUnderCi } from "@kli8nt/testkit";
import { AppsV1Api, BatchV1Api, KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blockReadiness, imageNamed } from "./deploy-controller-cluster.ts";
import { Harness, type Instance } from "./deploy-controller-harness.ts";

// AppChanged of any kind converges the app at once on Kubernetes (ADR 0209): rows and the outbox message
// written in one transaction as the api writes them, relayed to the bus, consumed by the whole controller,
// against the API server, controller-manager and kwok of scripts/infra/kubernetes.sh. The harness turns the
// periodic resync off (resyncMs 0): after the start-up pass, everything the cluster shows is the messages'.
const kubeconfigPath = process.env.KLI8NT_TEST_KUBECONFIG;
failUnderCi(
  !kubeconfigPath,
  "KLI8NT_TEST_KUBECONFIG is not set: start_kubernetes (scripts/infra/kubernetes.sh) did not run",
);

/** Well under the one-minute resync: what "at once" means here. */
const SOON_MS = 5_000;

describe.skipIf(!kubeconfigPath)(
  "AppChanged on Kubernetes: the app converges at once, not at the resync",
  () => {
    const kc = new KubeConfig();
    let database: Database;
    let h: Harness;
    let instance: Instance;
    let app: App;
    let namespace: string;
    const web = () => kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: app.name, namespace });
    const cronJobs = async () =>
      (await kc.makeApiClient(BatchV1Api).listNamespacedCronJob({ namespace })).items;

    beforeAll(async () => {
      kc.loadFromFile(kubeconfigPath ?? "");
      database = await openTestDatabase("pglite");
      h = new Harness(kc, database);
      instance = await h.start();
      app = await h.newApp();
      namespace = h.namespaceOf(app);
      const v1 = await h.queueDeploy(app, imageNamed("changes-v1"));
      expect(await h.settledInform(instance, v1.deploymentId)).toMatchObject({ state: "live" });
    }, 120_000);

    afterAll(async () => {
      await h?.close();
      await database?.close();
    });

    /** The change and its AppChanged in one transaction, as the api commits them; the relay is kicked. */
    const change = async (
      what: "formation" | "stop" | "start" | "restart",
      write: (tx: Tx) => Promise<unknown>,
    ) => {
      await database.db.transaction(async (tx) => {
        await write(tx);
        await enqueueAppChanged(tx, app, what);
      });
      instance.relay.kick();
    };

    /** Waits for the cluster to show it, and says how long that took (ADR 0209's figures). */
    const soon = async <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> => {
      const started = performance.now();
      const value = await eventually(what, probe, SOON_MS * 2, 50);
      const ms = Math.round(performance.now() - started);
      process.stdout.write(`AppChanged → ${what}: ${ms} ms\n`);
      expect(ms).toBeLessThan(SOON_MS);
      return value;
    };

    it("a formation change scales and sizes web within seconds", async () => {
      expect((await web()).spec?.replicas).toBe(2);
      await change("formation", (tx) => saveFormation(tx, app.id, { web: { count: 3, memory: "256Mi" } }));
      const scaled = await soon("web's replicas 3", async () => {
        const d = await web();
        return d.spec?.replicas === 3 ? d : undefined;
      });
      expect(scaled.spec?.template.spec?.containers[0]?.resources?.limits?.memory).toBe("256Mi");
    }, 60_000);

    it("a cron entry created becomes a CronJob within seconds", async () => {
      // createCronJob writes its AppChanged itself, in the row's transaction.
      await createCronJob(
        database.db,
        app,
        { name: "nightly", schedule: "0 3 * * *", command: "echo hi" },
        10,
      );
      instance.relay.kick();
      const [job] = await soon("the CronJob stored", async () => {
        const jobs = await cronJobs();
        return jobs.length > 0 ? jobs : undefined;
      });
      expect(job?.metadata?.name).toBe(`${app.name}-cron-nightly`);
      expect(job?.spec).toMatchObject({ schedule: "0 3 * * *", concurrencyPolicy: "Forbid", suspend: false });
    }, 60_000);

    it("stop scales web to 0 and suspends the CronJobs within seconds; start brings the formation back", async () => {
      // The Deployment is applied before the CronJobs: wait for both.
      const state = async () => [(await web()).spec?.replicas, (await cronJobs())[0]?.spec?.suspend];
      await change("stop", (tx) => setAppLifecycle(tx, app.id, { stopped: true }));
      await soon("web's replicas 0, the CronJob suspended", async () => {
        const [replicas, suspended] = await state();
        return replicas === 0 && suspended === true ? true : undefined;
      });

      await change("start", (tx) => setAppLifecycle(tx, app.id, { stopped: false }));
      await soon("web's replicas 3 again, the CronJob resumed", async () => {
        const [replicas, suspended] = await state();
        return replicas === 3 && suspended === false ? true : undefined;
      });
    }, 60_000);

    it("restart stamps web's pod template within seconds (a rolling restart)", async () => {
      const at = new Date();
      await change("restart", (tx) => setAppLifecycle(tx, app.id, { restartedAt: at }));
      await soon("web's pod template restartedAt", async () => {
        const stamped = (await web()).spec?.template.metadata?.annotations?.[
          "kubectl.kubernetes.io/restartedAt"
        ];
        return stamped === at.toISOString() ? true : undefined;
      });
    }, 60_000);

    it("a formation changed while a deploy rolls out is applied as soon as that deploy returns", async () => {
      const block = await blockReadiness(kc, "never-ready");
      try {
        const live = (await web()).spec?.template.spec?.containers[0]?.image;
        const stuck = await h.queueDeploy(app, imageNamed("changes-never-ready"));
        await eventually("the stuck release applied", async () =>
          (await web()).spec?.template.spec?.containers[0]?.image === stuck.image ? true : undefined,
        );
        // The deploy holds the app until its rollout fails: the message must neither wait nor be lost.
        await change("formation", (tx) => saveFormation(tx, app.id, { web: { count: 4, memory: "256Mi" } }));
        expect(await h.settledInform(instance, stuck.deploymentId)).toMatchObject({ state: "failed" });
        const d = await soon("web's replicas 4 (timed from the failed deploy's INFORM)", async () => {
          const now = await web();
          return now.spec?.replicas === 4 ? now : undefined;
        });
        expect(d.spec?.template.spec?.containers[0]?.image).toBe(live);
      } finally {
        await block.release();
      }
    }, 90_000);

    it("an AppChanged for an app deleted meanwhile changes nothing and fails nothing", async () => {
      await instance.bus.publish("APP", {
        id: `m-gone-${Date.now()}`,
        type: "APP",
        body: {
          type: "AppChanged",
          version: 1,
          appId: app.id,
          appName: "gone-app",
          what: "formation",
          at: new Date().toISOString(),
        },
      });
      // A formation message after it: once it shows, the one before it was handled too.
      await change("formation", (tx) => saveFormation(tx, app.id, { web: { count: 1, memory: "256Mi" } }));
      await soon("web's replicas 1", async () => ((await web()).spec?.replicas === 1 ? true : undefined));
      expect(instance.logs.filter((line) => line.includes("Reconciling the app failed"))).toEqual([]);
    }, 60_000);
  },
);
