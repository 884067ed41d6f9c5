import type { V1Deployment, V1ReplicaSet } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { previousReplicaSet, templateOf } from "./rollback.ts";
import { rolloutStatus } from "./rollout-status.ts";

function deployment(status: NonNullable<V1Deployment["status"]>, replicas = 2): V1Deployment {
  return { metadata: { generation: 3, uid: "u1" }, spec: { replicas, selector: {}, template: {} }, status };
}

describe("rolloutStatus", () => {
  it("waits until the controller has observed the applied generation", () => {
    const d = deployment({ observedGeneration: 2, updatedReplicas: 2, availableReplicas: 2, replicas: 2 });
    expect(rolloutStatus(d, 3).state).toBe("progressing");
    expect(rolloutStatus(d, 2).state).toBe("complete");
  });

  it("is complete only when every replica is updated and available and no old one is left", () => {
    const base = { observedGeneration: 3 };
    expect(rolloutStatus(deployment({ ...base, updatedReplicas: 1, replicas: 2 }), 3)).toMatchObject({
      state: "progressing",
      message: "1 of 2 replicas updated",
    });
    expect(rolloutStatus(deployment({ ...base, updatedReplicas: 2, replicas: 3 }), 3)).toMatchObject({
      message: "1 old replicas pending termination",
    });
    expect(
      rolloutStatus(deployment({ ...base, updatedReplicas: 2, replicas: 2, availableReplicas: 1 }), 3),
    ).toMatchObject({ message: "1 of 2 updated replicas available" });
    expect(
      rolloutStatus(deployment({ ...base, updatedReplicas: 2, replicas: 2, availableReplicas: 2 }), 3),
    ).toEqual({ state: "complete" });
  });

  it("fails on ProgressDeadlineExceeded with the controller's message", () => {
    const d = deployment({
      observedGeneration: 3,
      updatedReplicas: 1,
      replicas: 3,
      conditions: [
        {
          type: "Progressing",
          status: "False",
          reason: "ProgressDeadlineExceeded",
          message: 'ReplicaSet "web-1" has timed out progressing.',
        },
      ],
    });
    expect(rolloutStatus(d, 3)).toEqual({
      state: "failed",
      reason: "ProgressDeadlineExceeded",
      message: 'ReplicaSet "web-1" has timed out progressing.',
    });
  });
});

function rs(name: string, revision: string, owner = "u1"): V1ReplicaSet {
  return {
    metadata: {
      name,
      annotations: { "deployment.kubernetes.io/revision": revision },
      ownerReferences: [{ uid: owner, apiVersion: "apps/v1", kind: "Deployment", name: "web" }],
    },
    spec: {
      selector: {},
      template: { metadata: { labels: { "kli8nt.io/deployment": name, "pod-template-hash": "abc" } } },
    },
  };
}

describe("previousReplicaSet", () => {
  const d: V1Deployment = {
    metadata: { uid: "u1", annotations: { "deployment.kubernetes.io/revision": "4" } },
  };

  it("picks the newest revision other than the Deployment's own, among the ReplicaSets it owns", () => {
    const sets = [rs("v1", "1"), rs("v3", "3"), rs("v4", "4"), rs("other", "9", "u2")];
    expect(previousReplicaSet(d, sets)?.metadata?.name).toBe("v3");
  });

  it("is null for a first release", () => {
    expect(previousReplicaSet(d, [rs("v4", "4")])).toBeNull();
  });

  it("strips the pod-template-hash label from the template it gives back", () => {
    expect(templateOf(rs("v3", "3"))?.metadata?.labels).toEqual({ "kli8nt.io/deployment": "v3" });
  });
});
