import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type AppManifests, applyOrder, type PodPlacement } from "@kli8nt/manifests";
import { type KubeConfig, KubernetesObjectApi, PatchStrategy } from "@kubernetes/client-node";

// Helpers of the suites that run pods on the real node of scripts/infra/node.sh.

const EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"] as const;

/**
 * The placement that puts a pod on the real node instead of a kwok node: its taint tolerated, its
 * hostname selected. Also the `podPlacement` setting of packages/manifests for rendered apps.
 */
export function realNodePlacement(taint: string, node: string) {
  const [, key, value, effect] = /^([^=]+)=([^:]*):(\w+)$/.exec(taint) ?? [];
  const known = EFFECTS.find((e) => e === effect);
  if (key === undefined || value === undefined || known === undefined) {
    throw new Error(`KLI8NT_TEST_NODE_TAINT is not key=value:effect: ${taint}`);
  }
  return {
    tolerations: [{ key, operator: "Equal" as const, value, effect: known }],
    nodeSelector: { "kubernetes.io/hostname": node },
  } satisfies PodPlacement;
}

/** Applies what packages/manifests renders for an app, in its order, with server-side apply as the deploy controller does. */
export async function applyRendered(kc: KubeConfig, manifests: AppManifests) {
  const objects = KubernetesObjectApi.makeApiClient(kc);
  for (const object of applyOrder(manifests)) {
    await objects.patch(object, undefined, undefined, "kli8nt-test", true, PatchStrategy.ServerSideApply);
  }
}

/** Pushes a local podman image to the test registry (plain HTTP); its reference by digest, as nodes pull it. */
export async function pushToTestRegistry(registry: string, local: string, repository: string, tag: string) {
  const dir = await mkdtemp(join(tmpdir(), "kli8nt-push-"));
  const remote = `${registry}/${repository}`;
  try {
    const digestFile = join(dir, "digest");
    await promisify(execFile)("podman", [
      "push",
      "-q",
      "--tls-verify=false",
      "--digestfile",
      digestFile,
      local,
      `docker://${remote}:${tag}`,
    ]);
    return `${remote}@${(await readFile(digestFile, "utf8")).trim()}`;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
