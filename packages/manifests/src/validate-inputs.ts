import { type FieldIssue, InputError } from "@kli8nt/core";
import type { ManifestApp, ManifestRelease } from "./inputs.ts";
import { appNames, isDns1123Label, isDns1123Subdomain, isLabelValue } from "./names.ts";
import { cpuMillis, memoryBytes } from "./quantity.ts";
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
  checkFormation(release, check);
  const replicas = release.replicas ?? settings.replicas;
  check(Number.isInteger(replicas) && replicas >= 0, "release.replicas", "must be a non-negative integer");
  if (issues.length > 0) {
    throw new InputError("MANIFEST_INPUT_INVALID", `Cannot render Kubernetes objects for app "${app.name}"`, {
      issues,
      details: { app: app.name, deploymentId: release.deploymentId },
    });
  }
}

type Check = (ok: boolean, path: string, message: string) => void;

/** Process types, counts, sizes and the autoscaler: what the API checked, checked again at the edge. */
function checkFormation(release: ManifestRelease, check: Check): void {
  const seen = new Set<string>();
  for (const [i, p] of (release.processes ?? []).entries()) {
    const at = `release.processes[${i}]`;
    check(!seen.has(p.type), `${at}.type`, `"${p.type}" appears twice`);
    seen.add(p.type);
    check(/^[a-z][a-z0-9-]{0,29}$/.test(p.type), `${at}.type`, "must match ^[a-z][a-z0-9-]{0,29}$");
    check(Number.isInteger(p.count) && p.count >= 0, `${at}.count`, "must be a non-negative integer");
    check((cpuMillis(p.cpu) ?? 0) > 0, `${at}.cpu`, `"${p.cpu}" is not a CPU quantity (e.g. 0.5, 250m)`);
    check(
      (memoryBytes(p.memory) ?? 0) > 0,
      `${at}.memory`,
      `"${p.memory}" is not a memory quantity (e.g. 512Mi)`,
    );
  }
  const a = release.autoscale;
  if (a === undefined) return;
  check(Number.isInteger(a.min) && a.min >= 1, "release.autoscale.min", "must be an integer ≥ 1");
  check(Number.isInteger(a.max) && a.max >= a.min, "release.autoscale.max", "must be an integer ≥ min");
  check(
    Number.isInteger(a.targetCpu) && a.targetCpu >= 1 && a.targetCpu <= 100,
    "release.autoscale.targetCpu",
    "must be a percentage 1–100",
  );
}
