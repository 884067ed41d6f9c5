import { isKli8ntError, Kli8ntError } from "@kli8nt/core";
import type {
  ApplyOutcome,
  AppObservation,
  InstanceObservation,
  OneOffResult,
  OneOffSpec,
  RuntimePort,
} from "../runtime-port.ts";
import { appReleaseOf } from "./app-release.ts";
import type { KubernetesDeployer } from "./kubernetes-deployer.ts";
import type { PodObservation, ProcessObservation } from "./observe-processes.ts";
import { existingApps } from "./reconcile-all.ts";
import { AUTOSCALE_NEEDS_METRICS_API, applyCron, gateAutoscale } from "./release-extras.ts";

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

function stateOf(pod: PodObservation): InstanceObservation["state"] {
  if (pod.ready) return "running";
  if (pod.waiting === "CrashLoopBackOff") return "restarting";
  if (pod.phase === "Failed" || pod.phase === "Succeeded") return "exited";
  return pod.restarts > 0 ? "crashed" : "starting";
}

function instancesOf(p: ProcessObservation): InstanceObservation[] {
  return p.pods.map((pod, index) => ({
    deploymentId: pod.deploymentId,
    type: p.type,
    index,
    state: stateOf(pod),
    restarts: pod.restarts,
    lastOutput: pod.lastTermination ? [pod.lastTermination] : [],
  }));
}

/**
 * The release phase as a Job in the app's namespace (its name is the deployment's, so a redelivery
 * re-attaches). Its pod's output reaches the log store through the log controller, under phase `release`;
 * here it is read back once the Job ended, for `onLine` and the failure's last lines.
 */
async function runRelease(deployer: KubernetesDeployer, spec: OneOffSpec, signal?: AbortSignal) {
  if (spec.phase !== "release") {
    // Cron entries are CronJobs on Kubernetes (KubernetesDeployer.applyCronJobs), run by the cluster.
    throw new Kli8ntError(
      "terminal",
      "ONE_OFF_PHASE_UNSUPPORTED",
      `Kubernetes runs ${spec.phase} as CronJobs`,
    );
  }
  // The port is not used by a Job; the formation only sizes the namespace quota the run must fit in.
  const release = { deploymentId: spec.deploymentId, image: spec.image, port: 3000 };
  const run = await deployer.runRelease(
    {
      app: { id: spec.appId, name: spec.appName },
      release: spec.processes ? { ...release, processes: spec.processes } : release,
      env: spec.env,
    },
    {
      command: spec.command,
      memory: spec.memory,
      cpu: spec.cpu,
      deadlineSeconds: Math.max(1, Math.ceil(spec.timeoutMs / 1000)),
    },
    { ...(signal ? { signal } : {}), onLine: (line) => spec.onLine("stdout", line) },
  );
  const result: OneOffResult = { exitCode: run.exitCode, tail: run.tail };
  return result;
}

/**
 * The Runtime port on Kubernetes (ADR 0195): a release is the app's namespace objects (a Deployment per
 * process type, web's Service and Ingress), applied server-side and rolled out by the Deployment
 * controller, which also restarts crashed pods; a failed rollout goes back to the previous ReplicaSets,
 * which keep serving.
 */
export function kubernetesRuntime(deployer: KubernetesDeployer): RuntimePort {
  return {
    kind: "kubernetes",
    isolated: true,
    async apply(r, signal) {
      try {
        const { target, missing } = await gateAutoscale(deployer.api, appReleaseOf(r));
        const o = await deployer.deploy(target, signal);
        if (!o.ok) return { ok: false, reason: o.reason };
        // CronJobs follow the release only once it serves: a failed rollout keeps them on the previous one.
        await applyCron(deployer, target);
        if (!missing) return { ok: true, url: o.url };
        const unavailable = {
          type: "degraded",
          status: "true",
          reason: "MetricsApiMissing",
          message: AUTOSCALE_NEEDS_METRICS_API,
        } as const;
        return { ok: true, url: o.url, degraded: AUTOSCALE_NEEDS_METRICS_API, conditions: [unavailable] };
      } catch (error) {
        return refusal(error);
      }
    },
    async observe(appName): Promise<AppObservation> {
      const processes = await deployer.observe(appName);
      return {
        appName,
        instances: processes.flatMap(instancesOf),
        processes: processes.map((p) => ({
          type: p.type,
          replicas: p.desired,
          ready: p.ready,
          restarts: p.restarts,
        })),
      };
    },
    apps: () => existingApps(deployer),
    async remove(appName) {
      await deployer.remove(appName);
    },
    runOnce: (spec, signal) => runRelease(deployer, spec, signal),
  };
}
