import { type FieldIssue, InputError } from "@kli8nt/core";
import type { ManifestApp, ManifestRelease } from "./inputs.ts";
import { appNames, isDns1123Label, isDns1123Subdomain, isLabelValue } from "./names.ts";
import type { ManifestSettings } from "./settings.ts";

/** `registry/repo@sha256:<64 hex>`: the only image reference a release may carry. */
/** An IPv4 or IPv6 CIDR, as NetworkPolicy ipBlocks take them (the API server checks the details). */
const CIDR =
  /^([0-9]{1,3}(\.[0-9]{1,3}){3}\/([0-9]|[12][0-9]|3[0-2])|[0-9a-fA-F:]*:[0-9a-fA-F:.]*\/([0-9]{1,2}|1[01][0-9]|12[0-8]))$/;
const IMAGE_BY_DIGEST = /^[a-z0-9][a-z0-9._:/-]*@sha256:[0-9a-f]{64}$/;

/**
 * Rejects inputs that would produce objects the API server refuses or that break the platform's
 * guarantees (e.g. a tag instead of a digest), with every problem listed at once.
 */
export function validateInputs(app: ManifestApp, release: ManifestRelease, settings: ManifestSettings): void {
  const names = appNames(app, settings);
  const issues: FieldIssue[] = [];
  const check = (ok: boolean, path: string, message: string) => {
    if (!ok) issues.push({ path, message });
  };
  check(isDns1123Label(app.name), "app.name", "must be a DNS label (a-z, 0-9, '-', at most 63)");
  check(
    isDns1123Label(names.namespace),
    "settings.namespacePrefix",
    `namespace "${names.namespace}" is invalid`,
  );
  check(isDns1123Subdomain(names.host), "settings.appsDomain", `host "${names.host}" is not a DNS name`);
  check(isLabelValue(app.name), "app.name", "must be a valid label value");
  check(isLabelValue(release.deploymentId), "release.deploymentId", "must be a valid label value");
  check(IMAGE_BY_DIGEST.test(release.image), "release.image", "must be an image by digest (repo@sha256:…)");
  check(
    Number.isInteger(release.port) && release.port >= 1 && release.port <= 65535,
    "release.port",
    "1–65535",
  );
  check(
    release.healthCheck === undefined || release.healthCheck.path.startsWith("/"),
    "release.healthCheck.path",
    "must start with /",
  );
  for (const [i, cidr] of settings.egress.deniedCidrs.entries()) {
    check(CIDR.test(cidr), `settings.egress.deniedCidrs[${i}]`, `"${cidr}" is not a CIDR`);
  }
  const replicas = release.replicas ?? settings.replicas;
  check(Number.isInteger(replicas) && replicas >= 0, "release.replicas", "must be a non-negative integer");
  if (issues.length > 0) {
    throw new InputError("MANIFEST_INPUT_INVALID", `Cannot render Kubernetes objects for app "${app.name}"`, {
      issues,
      details: { app: app.name, deploymentId: release.deploymentId },
    });
  }
}
