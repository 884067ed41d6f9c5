import { randomBytes } from "node:crypto";
import { MemoryBus } from "@kli8nt/bus";
import {
  type App,
  type DeploymentProgress,
  type DeployRequested,
  MESSAGE_SCHEMAS,
  QUEUES,
} from "@kli8nt/core";
import {
  createApp,
  createDeployment,
  type Database,
  enqueueMessage,
  ensureAdminUser,
  OutboxRelay,
  SecretBox,
  saveFormation,
  transitionDeployment,
} from "@kli8nt/db";
import {
  type KubernetesDeployController,
  startKubernetesDeployController,
} from "@kli8nt/deploy-controller/kubernetes";
import type { ManifestSettingsInput } from "@kli8nt/manifests";
import { eventually } from "@kli8nt/testkit";
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";

// One controller "process" of the deploy-controller suites: its own bus, outbox relay and INFORM
// listener over the shared database, as a separate controller Deployment would have.

export interface Instance {
  readonly controller: KubernetesDeployController;
  readonly bus: MemoryBus;
  readonly relay: OutboxRelay;
  readonly inform: DeploymentProgress[];
  /** What the controller logged, as `message deploymentId`. */
  readonly logs: string[];
}

export class Harness {
  readonly box = new SecretBox(randomBytes(32));
  /** A namespace prefix of this suite only: its resyncs never touch other suites' apps. */
  readonly prefix = `kdc${randomBytes(3).toString("hex")}-`;
  readonly settings: ManifestSettingsInput;
  readonly started: Instance[] = [];

  constructor(
    readonly kc: KubeConfig,
    readonly database: Database,
    progressDeadlineSeconds = 10,
    extra: Partial<ManifestSettingsInput> = {},
  ) {
    this.settings = {
      appsDomain: "apps.test.invalid",
      namespacePrefix: this.prefix,
      progressDeadlineSeconds,
      replicas: 2,
      ...extra,
    };
  }

  async start(): Promise<Instance> {
    const bus = new MemoryBus();
    const relay = new OutboxRelay(
      this.database.db,
      (m) => bus.publish(m.queue, { id: m.messageId, type: m.queue, body: m.payload }),
      { pollIntervalMs: 200 },
    );
    const inform: DeploymentProgress[] = [];
    const logs: string[] = [];
    const record = (obj: object, msg: string) =>
      void logs.push(`${msg} ${(obj as { deploymentId?: string }).deploymentId ?? ""}`);
    await bus.consume(QUEUES.inform, MESSAGE_SCHEMAS.INFORM, async (m) => void inform.push(m), {
      prefetch: 1,
    });
    const controller = await startKubernetesDeployController({
      bus,
      db: this.database.db,
      box: this.box,
      kubeconfig: this.kc,
      settings: this.settings,
      logger: { info: record, warn: record },
      onOutboxWrite: () => relay.kick(),
      resyncMs: 0,
      pollMs: 250,
      rolloutGraceMs: 20_000,
    });
    relay.start();
    const instance = { controller, bus, relay, inform, logs };
    this.started.push(instance);
    return instance;
  }

  /** What `kill -9` leaves: nothing of the instance runs or writes any more, its bus content is lost. */
  async kill(instance: Instance): Promise<void> {
    instance.controller.abandon();
    await instance.relay.stop();
    await instance.bus.close();
  }

  namespaceOf(app: App): string {
    return `${this.prefix}${app.name}`;
  }

  /** An app whose web runs `settings.replicas` pods (2 unless given): its formation, as `kli8nt scale` sets it. */
  async newApp(): Promise<App> {
    const admin = await ensureAdminUser(this.database.db);
    const app = await createApp(this.database.db, admin.id, {
      name: `web-${randomBytes(3).toString("hex")}`,
      repository: { url: "https://example.com/r.git", branch: "main", rootDir: "." },
      port: null,
    });
    await saveFormation(this.database.db, app.id, { web: { count: this.settings.replicas ?? 2 } });
    return app;
  }

  /** A built release whose DeployRequested sits in the outbox, as the build controller leaves it. */
  async queueDeploy(
    app: App,
    image: string,
    extra: Pick<DeployRequested, "processes" | "releaseCommand"> = {},
  ): Promise<DeployRequested> {
    const db = this.database.db;
    const d = await createDeployment(db, app, { trigger: "api" });
    await transitionDeployment(db, d.id, "build:building", "building");
    await transitionDeployment(db, d.id, "build:built", "built", { image });
    const message: DeployRequested = {
      type: "DeployRequested",
      version: 1,
      deploymentId: d.id,
      appId: app.id,
      appName: app.name,
      image,
      port: 8080,
      ...extra,
      requestedAt: new Date().toISOString(),
    };
    await enqueueMessage(db, "DEPLOY", message);
    for (const i of this.started) i.relay.kick();
    return message;
  }

  settledInform(i: Instance, deploymentId: string): Promise<DeploymentProgress> {
    return eventually(
      `INFORM live/failed for ${deploymentId}`,
      async () =>
        i.inform.find((m) => m.deploymentId === deploymentId && (m.state === "live" || m.state === "failed")),
      90_000,
    );
  }

  /** Images of the namespace's Running pods that are not being deleted, sorted. */
  async runningImages(namespace: string): Promise<string[]> {
    const pods = await this.kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace });
    return pods.items
      .filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase === "Running")
      .map((p) => p.spec?.containers[0]?.image ?? "")
      .sort();
  }

  async close(): Promise<void> {
    for (const i of this.started) await this.kill(i);
    const core = this.kc.makeApiClient(CoreV1Api);
    const namespaces = await core.listNamespace({ labelSelector: "kli8nt.io/app" });
    for (const ns of namespaces.items) {
      const name = ns.metadata?.name ?? "";
      if (name.startsWith(this.prefix)) await core.deleteNamespace({ name }).catch(() => undefined);
    }
  }
}
