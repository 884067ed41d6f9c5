import type { Bus, Consumer } from "@kli8nt/bus";
import { type DeployRequested, MESSAGE_SCHEMAS, QUEUES } from "@kli8nt/core";
import type { Db, SecretBox } from "@kli8nt/db";
import { type ManifestSettingsInput, resolveSettings } from "@kli8nt/manifests";
import { Exec, type KubeConfig } from "@kubernetes/client-node";
import { type DeployLogger, deployHandler } from "../deploy-handler.ts";
import { deployRequestOf, recordDeployRequest } from "../deploy-queue.ts";
import { KeyLock } from "../key-lock.ts";
import { convergeAddons } from "./addons/addon-rows.ts";
import type { ClusterAddonSettings } from "./addons/postgres-addons.ts";
import { AppDomains } from "./app-domains.ts";
import { AppReconcileQueue } from "./app-reconcile-queue.ts";
import { recordCronHistory } from "./cron-history.ts";
import { readDesiredState } from "./desired-state.ts";
import { startIngressMetricsLoop } from "./ingress-metrics-loop.ts";
import { loadKubeConfig, makeKubeApi } from "./kube-api.ts";
import { type AppResidue, KubernetesDeployer } from "./kubernetes-deployer.ts";
import { kubernetesRuntime } from "./kubernetes-runtime.ts";
import { startPodMetricsLoop } from "./pod-metrics-loop.ts";
import { type ReconcileReport, reconcileAll } from "./reconcile-all.ts";

export interface KubernetesDeployControllerOptions {
  readonly bus: Bus;
  readonly db: Db;
  readonly box: SecretBox;
  /** A loaded KubeConfig, a kubeconfig path, or undefined for the in-cluster service account. */
  readonly kubeconfig?: KubeConfig | string | undefined;
  readonly settings: ManifestSettingsInput;
  readonly logger: DeployLogger;
  readonly onOutboxWrite?: () => void;
  readonly prefetch?: number;
  /** Full resync period (deleted apps, drift); 0 turns it off. Default one minute. */
  readonly resyncMs?: number;
  readonly pollMs?: number;
  readonly rolloutGraceMs?: number;
  /** What a deleted app leaves outside the cluster (registry images, log topic), removed after its namespace. */
  readonly residues?: readonly AppResidue[];
  /** PostgreSQL add-ons made in app namespaces (ADR 0226); unset: add-on rows are left alone. */
  readonly addons?: ClusterAddonSettings | undefined;
  /** CPU and memory of app pods this often, while the metrics API is registered (ADR 0208); 0: off. 30 s. */
  readonly podMetricsMs?: number;
  /** The ingress controller's Prometheus endpoint, scraped every minute for request metrics (ADR 0208). */
  readonly ingressMetrics?: { readonly url: string; readonly format: "traefik" | "nginx" } | undefined;
}

export interface KubernetesDeployController {
  readonly deployer: KubernetesDeployer;
  /** Converges every app to the database now (also run at start and every `resyncMs`). */
  resync(): Promise<ReconcileReport>;
  /** Stops consuming and waits for in-flight deploys. */
  stop(): Promise<void>;
  /** Drops everything at once and writes nothing more: what a crash (kill -9) leaves behind. */
  abandon(): void;
}

/** Converges the cluster to the database, then consumes DEPLOY; one deploy per app at a time. */
export async function startKubernetesDeployController(
  options: KubernetesDeployControllerOptions,
): Promise<KubernetesDeployController> {
  const kc = typeof options.kubeconfig === "object" ? options.kubeconfig : loadKubeConfig(options.kubeconfig);
  // Add-on sizes are read by exec into their pods, at most every five minutes each (ADR 0229).
  const addonState = { exec: new Exec(kc), sizeReadAt: new Map<string, number>() };
  const deployer = new KubernetesDeployer(makeKubeApi(kc), {
    settings: resolveSettings(options.settings),
    ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
    ...(options.rolloutGraceMs === undefined ? {} : { rolloutGraceMs: options.rolloutGraceMs }),
    ...(options.residues ? { residues: options.residues } : {}),
  });
  const { db, box, logger } = options;
  const abort = new AbortController();
  const lock = new KeyLock();
  // Bumped when a deploy of the app starts, and when a per-app reconcile has read the app: a resync that
  // read the database earlier must not undo either.
  const epochs = new Map<string, number>();
  const epoch = (app: string) => epochs.get(app) ?? 0;
  const bump = (app: string) => epochs.set(app, epoch(app) + 1);
  // Deploys of the app not yet returned: a per-app reconcile does not wait out their rollouts on the lock.
  const deploying = new Map<string, number>();
  const domains = new AppDomains({ db, deployer, logger });
  const apps = new AppReconcileQueue({
    db,
    box,
    deployer,
    domains,
    logger,
    exclusive: async (app, task) => {
      if ((deploying.get(app) ?? 0) > 0) return false;
      return lock.run(app, async () => {
        if (abort.signal.aborted) return false;
        await task();
        return true;
      });
    },
    claimed: bump,
  });

  // The same deploy handler as on one machine, on the Kubernetes adapter of the Runtime port.
  const handle = deployHandler(
    {
      db,
      box,
      runtime: kubernetesRuntime(deployer),
      settings: {},
      logger,
      onOutboxWrite: options.onOutboxWrite ?? (() => undefined),
      signal: abort.signal,
    },
    lock,
  );
  const deploy = async (message: DeployRequested) => {
    const app = message.appName;
    // Before waiting for the app's lock: a resync that read the database earlier must not undo it.
    bump(app);
    deploying.set(app, (deploying.get(app) ?? 0) + 1);
    try {
      await recordDeployRequest(db, message);
      await handle(message);
    } finally {
      const left = (deploying.get(app) ?? 1) - 1;
      if (left > 0) deploying.set(app, left);
      else deploying.delete(app);
      // What changed while it ran (a formation, a cron entry) and the domains of a release gone live with
      // its web Service (ADR 0224, 0209): the app converges on what the database says now.
      apps.enqueue(app);
    }
  };

  const resync = async (): Promise<ReconcileReport> => {
    const seen = new Map(epochs);
    const desired = await readDesiredState(db, box);
    const report = await reconcileAll(deployer, desired, {
      // A deploy whose message was lost (or dead-lettered) is driven on here, as a redelivery would be. It
      // runs after the resync's turn on the app's lock, so a start-up resync never waits out a rollout.
      resume: async (deploymentId) => {
        const message = await deployRequestOf(db, deploymentId);
        if (!message) return;
        deploy(message).catch((error: unknown) =>
          logger.warn({ err: error, deploymentId }, "Resumed deploy failed; the next resync retries it"),
        );
      },
      exclusive: (app, task) =>
        lock.run(app, async () => {
          if (abort.signal.aborted || epoch(app) !== (seen.get(app) ?? 0)) return false;
          await task();
          return true;
        }),
    });
    // Custom domains after the apps: their Ingresses route to the web Services just applied (ADR 0223).
    await domains.all(desired);
    if (options.addons) await convergeAddons(db, deployer, desired, options.addons, logger, addonState);
    // Cron runs from their Jobs' status (ADR 0206): the CronJob controller runs them, we keep the history.
    await recordCronHistory(db, deployer, desired, logger);
    if (report.applied.length + report.deleted.length + report.errors.length > 0)
      logger.info(
        { applied: report.applied.length, deleted: report.deleted, errors: report.errors },
        "Reconciled apps with the database",
      );
    return report;
  };

  await resync();
  const consumer: Consumer = await options.bus.consume(QUEUES.deploy, MESSAGE_SCHEMAS.DEPLOY, deploy, {
    prefetch: options.prefetch ?? 8,
  });
  // AppChanged of any kind (formation, restart, stop/start, cron, env, domains): only the app's key is
  // enqueued, for the resync's work on that one app (ADR 0209).
  const changes = await options.bus.consume(
    QUEUES.app,
    MESSAGE_SCHEMAS.APP,
    async (m) => apps.enqueue(m.appName),
    { prefetch: 8 },
  );
  const resyncMs = options.resyncMs ?? 60_000;
  const timer =
    resyncMs > 0
      ? setInterval(() => {
          resync().catch((error: unknown) => logger.warn({ err: error }, "Resync failed"));
        }, resyncMs)
      : undefined;
  timer?.unref();
  const podMetricsMs = options.podMetricsMs ?? 30_000;
  const podMetrics = podMetricsMs > 0 ? startPodMetricsLoop(db, deployer.api, logger, podMetricsMs) : null;
  const ingressMetrics = options.ingressMetrics
    ? startIngressMetricsLoop(
        db,
        { ...options.ingressMetrics, namespacePrefix: deployer.settings.namespacePrefix },
        logger,
      )
    : null;
  return {
    deployer,
    resync,
    async stop() {
      clearInterval(timer);
      await changes.cancel();
      await consumer.cancel();
      await apps.stop();
      await podMetrics?.stop();
      await ingressMetrics?.stop();
    },
    abandon() {
      clearInterval(timer);
      void apps.stop();
      void podMetrics?.stop();
      void ingressMetrics?.stop();
      abort.abort(new Error("controller abandoned"));
    },
  };
}
