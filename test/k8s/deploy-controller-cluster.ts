import { randomBytes } from "node:crypto";
import { eventually } from "@kli8nt/testkit";
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  type KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type V1Pod,
} from "@kubernetes/client-node";

// Helpers of the deploy-controller suite (test/k8s/deploy-controller.int.test.ts) against the test cluster.

export function imageNamed(name: string): string {
  return `registry.test.invalid/apps/${name}@sha256:${randomBytes(32).toString("hex")}`;
}

/**
 * Makes pods whose image contains `marker` never become ready, the way a readiness probe that never passes
 * would: a ValidatingAdmissionPolicy refuses every pods/status update of such pods, so kwok (our fake
 * kubelet) cannot report them Running/Ready and they stay Pending. Resolves once the API server enforces
 * it; `release()` removes it.
 */
export async function blockReadiness(kc: KubeConfig, marker: string): Promise<{ release(): Promise<void> }> {
  const name = `kli8nt-test-${marker}-${randomBytes(3).toString("hex")}`;
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const apply = (o: object) =>
    objects.patch(o, undefined, undefined, "kli8nt-test", true, PatchStrategy.ServerSideApply);
  await apply({
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicy",
    metadata: { name },
    spec: {
      failurePolicy: "Fail",
      matchConstraints: {
        resourceRules: [
          { apiGroups: [""], apiVersions: ["v1"], operations: ["UPDATE"], resources: ["pods/status"] },
        ],
      },
      validations: [
        {
          expression: `!object.spec.containers.exists(c, c.image.contains('${marker}'))`,
          message: `pods of ${marker} images never report ready (test policy)`,
          reason: "Forbidden",
        },
      ],
    },
  });
  await apply({
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicyBinding",
    metadata: { name },
    spec: { policyName: name, validationActions: ["Deny"] },
  });
  await probeEnforcement(kc, marker, true);
  const admission = kc.makeApiClient(AdmissionregistrationV1Api);
  return {
    async release() {
      await admission.deleteValidatingAdmissionPolicyBinding({ name }).catch(() => undefined);
      await admission.deleteValidatingAdmissionPolicy({ name }).catch(() => undefined);
      await probeEnforcement(kc, marker, false);
    },
  };
}

/**
 * Policies load and unload asynchronously: probe with a status update of a throwaway pod until it is
 * refused (or accepted again).
 */
async function probeEnforcement(kc: KubeConfig, marker: string, enforced: boolean): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const name = `probe-${randomBytes(4).toString("hex")}`;
  const pod = await core.createNamespacedPod({
    namespace: "default",
    body: {
      metadata: { name },
      spec: { nodeName: "no-such-node", containers: [{ name: "c", image: `probe/${marker}` }] },
    },
  });
  try {
    await eventually(`policy ${marker} ${enforced ? "enforced" : "gone"}`, async () => {
      const fresh = await core.readNamespacedPod({ name, namespace: "default" });
      const body: V1Pod = { ...fresh, status: { ...fresh.status, message: `probe ${Date.now()}` } };
      const refused = await core.replaceNamespacedPodStatus({ name, namespace: "default", body }).then(
        () => false,
        (error: unknown) => (String((error as { body?: unknown }).body).includes(marker) ? true : undefined),
      );
      return refused === enforced ? true : undefined;
    });
  } finally {
    await core
      .deleteNamespacedPod({ name: pod.metadata?.name ?? name, namespace: "default", gracePeriodSeconds: 0 })
      .catch(() => undefined);
  }
}
