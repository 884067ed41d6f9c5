import type { BuildRequested } from "@kli8nt/core";
import type { V1PodSpec } from "@kubernetes/client-node";
import {
  type BuildNames,
  buildLabels,
  buildNames,
  type JobSettings,
  renderBuildJob,
} from "../../apps/build-controller/src/kaniko-job/index.ts";

/** The Job settings of a cluster whose registry speaks plain HTTP (as the test registry does). */
export function jobSettings(overrides: Partial<JobSettings> = {}): JobSettings {
  return {
    namespace: "kli8nt-builds",
    registrySecret: undefined,
    registryInsecure: true,
    kanikoImage: `localhost/kli8nt/kaniko-executor@sha256:${"ab".repeat(32)}`,
    prepareImage: "localhost/kli8nt/kli8nt:dev",
    resources: { cpu: "2", memory: "4Gi" },
    timeoutSeconds: 900,
    ttlSecondsAfterFinished: 300,
    nodeSelector: {},
    baseImages: {},
    podAnnotations: {},
    tolerations: [],
    ...overrides,
  };
}

export function buildMessage(appName: string, repositoryUrl: string, deploymentId: string): BuildRequested {
  return {
    type: "BuildRequested",
    version: 1,
    deploymentId,
    appId: `app_${appName}`,
    appName,
    repository: { url: repositoryUrl, ref: "main", commitSha: null, rootDir: "" },
    requestedAt: new Date().toISOString(),
  };
}

/** The pod spec of the Job the build controller would create, straight from its renderer. */
export function renderedBuildPod(
  message: BuildRequested,
  registry: string,
  settings: JobSettings,
): { pod: V1PodSpec; names: BuildNames } {
  const names = buildNames(message.deploymentId, message.appName, registry);
  const job = renderBuildJob(message, names, buildLabels(message, "user_1"), settings);
  const pod = job.spec?.template.spec;
  if (!pod) throw new Error("the rendered Job has no pod template");
  return { pod, names };
}
