import { createHash } from "node:crypto";

export const LABEL_APP = "kli8nt.io/app";
export const LABEL_APP_ID = "kli8nt.io/app-id";
export const LABEL_DEPLOYMENT = "kli8nt.io/deployment";
export const LABEL_PHASE = "kli8nt.io/phase";
export const LABEL_OWNER = "kli8nt.io/owner";
export const LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
export const FIELD_MANAGER = "kli8nt-build-controller";

/** Container names, also used to read their termination messages back. */
export const PREPARE_CONTAINER = "prepare";
export const KANIKO_CONTAINER = "kaniko";

/** A label value made from any id: Kubernetes allows [A-Za-z0-9_.-], 63 characters, alphanumeric ends. */
export function labelValue(value: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9_.-]/g, "-").slice(0, 63);
  return cleaned.replace(/^[^A-Za-z0-9]+/, "").replace(/[^A-Za-z0-9]+$/, "");
}

export interface BuildNames {
  readonly job: string;
  readonly secret: string;
  /** Repository of the app's images, and of Kaniko's layer cache (one per app, so apps never share layers). */
  readonly repository: string;
  readonly cacheRepository: string;
  /** Human-readable tag; deploys use the digest Kaniko reports, never this tag. */
  readonly tag: string;
}

/**
 * Deterministic names, so a redelivered BuildRequested finds the Job of the first delivery instead of
 * starting a second build. The hash keeps distinct ids distinct after cleaning and truncation.
 */
export function buildNames(deploymentId: string, appName: string, registry: string): BuildNames {
  const hash = createHash("sha256").update(deploymentId).digest("hex").slice(0, 8);
  const base = deploymentId
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .slice(0, 36)
    .replace(/-+$/, "");
  const job = `build-${base}-${hash}`;
  return {
    job,
    secret: `${job}-git`,
    repository: `${registry}/${appName}`,
    cacheRepository: `${registry}/${appName}/cache`,
    tag: `${registry}/${appName}:${base}`,
  };
}
