import { ApiException, ApiextensionsV1Api, type KubeConfig } from "@kubernetes/client-node";
import type { CheckResult } from "./doctor-checks.ts";

/** The CRD whose presence makes the deploy controller run Postgres add-ons as CNPG Clusters (ADR 0226). */
const CNPG_CRD = "clusters.postgresql.cnpg.io";

/**
 * Whether the CloudNativePG operator's Cluster CRD is installed. Optional: without it each Postgres add-on
 * is a StatefulSet of one pod with a volume claim; with it, a CNPG Cluster (failover, the operator's
 * backups). Kli8nt renders CNPG objects from its documented API; they are not validated against real CRDs
 * in our tests.
 */
export async function checkCnpg(kc: KubeConfig): Promise<CheckResult> {
  const name = "cnpg";
  try {
    const crd = await kc.makeApiClient(ApiextensionsV1Api).readCustomResourceDefinition({ name: CNPG_CRD });
    const versions = (crd.spec.versions ?? []).filter((v) => v.served).map((v) => v.name);
    return {
      name,
      ok: true,
      message: `CloudNativePG is installed (CRD ${CNPG_CRD}, served ${versions.join(", ") || "no version"}): Postgres add-ons run as CNPG Clusters`,
    };
  } catch (error) {
    if (!(error instanceof ApiException) || error.code !== 404) throw error;
    return {
      name,
      ok: false,
      optional: true,
      message: `CloudNativePG is absent (no CRD ${CNPG_CRD}): Postgres add-ons run as a StatefulSet each; install the CloudNativePG operator for failover and its backups`,
    };
  }
}
