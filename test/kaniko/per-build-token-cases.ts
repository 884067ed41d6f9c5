import { mkdtemp, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { V1PodSpec } from "@kubernetes/client-node";
import { expect, it } from "vitest";
import type { BuildNames, JobSettings } from "../../apps/build-controller/src/kaniko-job/index.ts";
import type { JobOutcome } from "../../apps/build-controller/src/kaniko-job/job-outcome.ts";
import {
  buildAccess,
  dockerConfigWithToken,
  mintRegistryToken,
} from "../../apps/build-controller/src/kaniko-job/registry-token.ts";
import type { ContainerRun } from "./run-pod-container.ts";
import { makeTokenIssuer, startTokenRegistry } from "./token-registry.ts";

interface Prepared {
  readonly pod: V1PodSpec;
  readonly names: BuildNames;
  readonly host: { readonly volumes: Record<string, string> };
}

/** What the Kaniko suite (kaniko-podman.int.test.ts) lends these cases. */
export interface KanikoSuite<P extends Prepared> {
  readonly work: () => string;
  readonly registryName: string;
  readonly plainInPod: string;
  readonly preparedPod: (
    name: string,
    insecure: boolean,
    app: {
      settings?: Partial<JobSettings>;
      registry?: string;
      registryConfig?: (names: BuildNames) => string;
    },
  ) => Promise<P>;
  readonly runKaniko: (prepared: P) => Promise<{ kaniko: ContainerRun; outcome: JobOutcome }>;
  readonly explain: (step: string, run: ContainerRun) => string;
  readonly cleanups: Array<() => Promise<unknown>>;
}

// Per-build registry tokens (docs/adr/0140) with the real executor: Kaniko pushes image and cache with
// a token the build controller minted for its app, to a registry that accepts only such tokens; the
// same build with a token for another app cannot push.
export function perBuildTokenCases<P extends Prepared>(suite: KanikoSuite<P>): void {
  it("pushes with a per-build token for its app only; a token for another app is refused", async () => {
    const dir = await mkdtemp(join(suite.work(), "token-"));
    const issuer = await makeTokenIssuer(dir);
    const registry = await startTokenRegistry(dir, issuer);
    suite.cleanups.push(async () => registry.stop());
    const inPod = `${suite.registryName}:${registry.port}`;
    const tokenFor = (app: string) => (names: BuildNames) =>
      dockerConfigWithToken(
        inPod,
        mintRegistryToken(
          issuer,
          names.job,
          buildAccess(inPod, `${inPod}/kli8nt/${app}`, `${inPod}/kli8nt/${app}/cache`, []),
          900,
        ),
      );
    const prepare = async (name: string, tokenApp: string) => {
      const prepared = await suite.preparedPod(name, true, {
        registry: `${inPod}/kli8nt`,
        settings: { perBuildRegistryToken: true },
        registryConfig: tokenFor(tokenApp),
      });
      // The base image stays on the plain mirror of the suite, named insecure like the registry itself.
      const kaniko = prepared.pod.containers[0];
      kaniko?.args?.push(
        `--insecure-registry=${suite.plainInPod}`,
        `--skip-tls-verify-registry=${suite.plainInPod}`,
      );
      return prepared;
    };

    const own = await prepare("token", "shop");
    // The only credential in Kaniko's container is that token.
    const config = JSON.parse(await readFile(join(own.host.volumes.registry ?? "", "config.json"), "utf8"));
    expect(Object.keys(config.auths)).toEqual([inPod]);
    expect(Object.keys(config.auths[inPod])).toEqual(["registrytoken"]);
    const ok = await suite.runKaniko(own);
    expect(ok.kaniko.terminated.exitCode, suite.explain("kaniko", ok.kaniko)).toBe(0);
    expect(ok.outcome).toMatchObject({ kind: "succeeded" });
    if (ok.outcome.kind !== "succeeded") return;
    expect(ok.outcome.image).toMatch(new RegExp(`^${inPod}/kli8nt/shop@sha256:[0-9a-f]{64}$`));
    const read = mintRegistryToken(issuer, "test", [{ name: "kli8nt/shop", actions: ["pull"] }], 60);
    const manifest = await fetch(
      `http://127.0.0.1:${registry.port}/v2/kli8nt/shop/manifests/${ok.outcome.image.split("@")[1]}`,
      {
        headers: {
          authorization: `Bearer ${read}`,
          accept:
            "application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json",
        },
      },
    );
    expect(manifest.status).toBe(200);

    const other = await suite.runKaniko(await prepare("token-other", "bank"));
    expect(other.kaniko.terminated.exitCode).toBe(1);
    expect(other.outcome.kind === "failed" && other.outcome.reason, other.kaniko.logs).toMatch(
      /checking push permission[\s\S]*UNAUTHORIZED/,
    );
  });
}
