import { createHash } from "node:crypto";
import type { V1Secret } from "@kubernetes/client-node";
import type { ManifestApp, ManifestRelease } from "./inputs.ts";
import { appNames, releaseLabels } from "./names.ts";
import type { ManifestSettings } from "./settings.ts";

/**
 * A stable digest of the variables: the same entries in any order give the same checksum. Put it in
 * `ManifestRelease.envChecksum` so a change of variables rolls the pods.
 */
export function envChecksum(entries: Readonly<Record<string, string>>): string {
  const hash = createHash("sha256");
  for (const key of Object.keys(entries).sort()) {
    // Length-prefixed so that {a: "b=c"} and {"a=b": "c"} cannot collide.
    hash.update(`${key.length}:${key}${String(entries[key]).length}:${entries[key]}\n`);
  }
  return `sha256-${hash.digest("hex").slice(0, 32)}`;
}

/**
 * The Secret the Deployment reads its variables from (`envFrom`). Values go in `data` (base64), the full
 * map every time: server-side apply then owns each `data` key, so a variable the user deleted is removed
 * by the next apply. `stringData` is write-only and its keys are never owned, so a deleted variable would
 * stay in the Secret and in every new pod (kubernetes/kubernetes#108008, docs/adr/0143).
 */
export function renderEnvSecret(
  app: ManifestApp,
  release: Pick<ManifestRelease, "deploymentId">,
  entries: Readonly<Record<string, string>>,
  settings: ManifestSettings,
): V1Secret {
  const names = appNames(app, settings);
  const data: Record<string, string> = {};
  for (const key of Object.keys(entries).sort()) {
    data[key] = Buffer.from(entries[key] as string, "utf8").toString("base64");
  }
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: names.envSecret,
      namespace: names.namespace,
      labels: releaseLabels(app, release),
    },
    type: "Opaque",
    data,
  };
}
