import { isKli8ntError, Kli8ntError } from "@kli8nt/core";
import { LABEL_APP } from "@kli8nt/manifests";
import type { ApplyOutcome, AppObservation, InstanceObservation, RuntimePort } from "../runtime-port.ts";
import type { KubernetesDeployer } from "./kubernetes-deployer.ts";
import { existingApps } from "./reconcile-all.ts";

/**
 * A release that can never be applied (inputs the manifests refuse, an object the API server finds invalid)
 * fails at once with the reason; anything else is thrown, for the work queue to retry.
 */
function refusal(error: unknown): ApplyOutcome {
  if (!isKli8ntError(error)) throw error;
  const status = error.details.status;
  if (error.code === "MANIFEST_INPUT_INVALID") {
    const issues = error.issues.map((i) => `${i.path} ${i.message}`).join("; ");
    return { ok: false, reason: `${error.message}: ${issues}` };
  }
  if (error.code === "KUBERNETES_APPLY_FAILED" && (status === 400 || status === 422))
    return { ok: false, reason: error.message };
  throw error;
}

/**
 * The Runtime port on Kubernetes (ADR 0195): a release is the app's namespace objects, applied server-side
 * and rolled out by the Deployment controller, which also restarts crashed pods; a failed rollout goes
 * back to the previous ReplicaSet, which keeps serving.
 */
export function kubernetesRuntime(deployer: KubernetesDeployer): RuntimePort {
  return {
    kind: "kubernetes",
    isolated: true,
    async apply(r, signal) {
      const outcome = await deployer
        .deploy(
          {
            app: { id: r.appId, name: r.appName },
            release: { deploymentId: r.deploymentId, image: r.image, port: r.port },
            env: r.env,
          },
          signal,
        )
        .then((o): ApplyOutcome => (o.ok ? { ok: true, url: o.url } : { ok: false, reason: o.reason }))
        .catch(refusal);
      return outcome;
    },
    async observe(appName): Promise<AppObservation> {
      const pods = await deployer.api.core
        .listNamespacedPod({
          namespace: deployer.namespaceOf(appName),
          labelSelector: `${LABEL_APP}=${appName}`,
        })
        .catch(() => ({ items: [] }));
      const instances: InstanceObservation[] = pods.items.map((pod, index) => {
        const status = pod.status?.containerStatuses?.[0];
        const waiting = status?.state?.waiting?.reason;
        const running = status?.ready === true;
        return {
          deploymentId: pod.metadata?.labels?.["kli8nt.io/deployment"] ?? "",
          type: pod.metadata?.labels?.["kli8nt.io/process"] ?? "web",
          index,
          state: running
            ? "running"
            : waiting === "CrashLoopBackOff"
              ? "restarting"
              : status
                ? "crashed"
                : "starting",
          restarts: status?.restartCount ?? 0,
          lastOutput: status?.lastState?.terminated?.message ? [status.lastState.terminated.message] : [],
        };
      });
      return { appName, instances };
    },
    apps: () => existingApps(deployer),
    async remove(appName) {
      await deployer.remove(appName);
    },
    async runOnce() {
      throw new Kli8ntError(
        "terminal",
        "RELEASE_PHASE_UNAVAILABLE",
        "Release commands do not run on Kubernetes yet: unset the release command or deploy on one machine",
      );
    },
  };
}
