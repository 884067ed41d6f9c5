import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { runImage, waitForHttp } from "@kli8nt/buildplan/testing";
import {
  type FakeGitHub,
  failUnderCi,
  makeTestCertificates,
  samplePath,
  startFakeGitHub,
  startTlsProxy,
} from "@kli8nt/testkit";
import type { V1Job, V1Pod } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BuildNames, JobSettings } from "../../apps/build-controller/src/kaniko-job/index.ts";
import { jobOutcome, renderTokenSecret } from "../../apps/build-controller/src/kaniko-job/index.ts";
import { bundle } from "../../scripts/bundle.ts";
import { buildMessage, jobSettings, renderedBuildPod } from "./build-job-fixture.ts";
import { perBuildTokenCases } from "./per-build-token-cases.ts";
import { materialisePod } from "./pod-on-host.ts";
import { findContainer } from "./podman-run.ts";
import { type ContainerRun, runAsHostProcess, runPodContainer } from "./run-pod-container.ts";

// The Kaniko step of a build Job for real, once: the Job the build controller renders, its prepare step
// laying out the shared workspace volume, then its Kaniko container run by podman with exactly that
// container's spec (scripts/infra/kaniko.sh builds the executor from its Go module), pushing to a plain-HTTP
// registry (scripts/infra/registry.sh); then the pushed image is pulled by digest, run, and answers 200.
const run = promisify(execFile);
const env = process.env;
const needed = {
  KLI8NT_TEST_CONTAINERS: "start_containers (scripts/infra/containers.sh)",
  KLI8NT_TEST_BASE_IMAGES: "start_containers (scripts/infra/containers.sh)",
  KLI8NT_TEST_REGISTRY: "start_registry (scripts/infra/registry.sh)",
  KLI8NT_TEST_KANIKO_IMAGE: "start_kaniko (scripts/infra/kaniko.sh)",
  KLI8NT_TEST_KANIKO_DIGEST: "start_kaniko (scripts/infra/kaniko.sh)",
};
const missing = Object.entries(needed).filter(([name]) => !env[name]);
failUnderCi(
  missing.length > 0,
  `Missing for the Kaniko suite: ${missing.map(([n, by]) => `${n} (set by ${by})`).join(", ")}`,
);

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
/**
 * The prepare container's command on this host: the kli8nt image is this repository at /app, with Node,
 * and the Job runs the prepare bundle, /app/dist/build-prepare.mjs (bundled in beforeAll).
 */
const prepareEntrypoint = (command: readonly string[]) =>
  command.map((arg, i) => {
    if (i === 0 && arg === "node") return process.execPath;
    return arg.startsWith("/app/") ? join(REPO_ROOT, arg.slice("/app/".length)) : arg;
  });
// Inside the pod the registry is a cluster DNS name, not a loopback address (which Kaniko's registry
// client would reach over plain HTTP on its own): so only the Job's insecure-registry flags make it work.
const REGISTRY_NAME = "registry.kli8nt.test";

const explain = (step: string, r: ContainerRun) =>
  `${step} exited ${r.terminated.exitCode}: ${r.terminated.message ?? ""}\n${r.command.join(" ")}\n${r.logs.slice(-6000)}`;

/**
 * The local base images carry a `./` entry of mode 0700 (their rootfs was a `mktemp -d` directory when
 * scripts/infra/containers.sh archived it). containers/storage ignores it; Kaniko applies it to `/` and
 * snapshots it, so a non-root app could not even exec /bin/sh. Real base images have no such entry: a
 * flattened copy (podman export, no root entry) stands in for them, kept per source image id.
 */
async function flattenedBaseImage(source: string, work: string): Promise<string> {
  const { stdout: id } = await run("podman", ["image", "inspect", "--format", "{{.Id}}", source]);
  const flat = `localhost/kli8nt-test/mirror:${id.trim().slice(0, 12)}`;
  if (
    await run("podman", ["image", "exists", flat]).then(
      () => true,
      () => false,
    )
  )
    return flat;
  const { stdout: container } = await run("podman", ["create", source, "true"]);
  const tarball = join(work, "rootfs.tar");
  try {
    await run("podman", ["export", "-o", tarball, container.trim()]);
  } finally {
    await run("podman", ["rm", "-f", container.trim()]);
  }
  await run("podman", ["import", "-q", tarball, flat]);
  await rm(tarball);
  return flat;
}

/** Paths in the layers of an image in the test registry (plain HTTP): what the image really carries. */
async function layerPaths(registry: string, repository: string, reference: string, work: string) {
  const accept =
    "application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json";
  const url = `http://${registry}/v2/${repository}`;
  const manifest = await fetch(`${url}/manifests/${reference}`, { headers: { accept } });
  if (!manifest.ok) throw new Error(`manifest ${repository}:${reference}: HTTP ${manifest.status}`);
  const { layers } = (await manifest.json()) as { layers: Array<{ digest: string }> };
  const paths: string[] = [];
  for (const layer of layers) {
    const blob = await fetch(`${url}/blobs/${layer.digest}`);
    const file = join(work, `${layer.digest.replace(":", "-")}.tar.gz`);
    await writeFile(file, Buffer.from(await blob.arrayBuffer()));
    const { stdout } = await run("tar", ["-tzf", file], { maxBuffer: 64 * 1024 * 1024 });
    await rm(file, { force: true });
    paths.push(...stdout.split("\n").filter(Boolean));
  }
  return paths;
}

/** The Job and pod status the kubelet and job controller would report for these two runs. */
function reportedStatus(prepare: ContainerRun, kaniko: ContainerRun): { job: V1Job; pod: V1Pod } {
  const ok = kaniko.terminated.exitCode === 0;
  const job: V1Job = { status: { conditions: [{ type: ok ? "Complete" : "Failed", status: "True" }] } };
  const pod: V1Pod = {
    status: {
      initContainerStatuses: [
        {
          name: "prepare",
          image: "",
          imageID: "",
          ready: false,
          restartCount: 0,
          state: { terminated: prepare.terminated },
        },
      ],
      containerStatuses: [
        {
          name: "kaniko",
          image: "",
          imageID: "",
          ready: false,
          restartCount: 0,
          state: { terminated: kaniko.terminated },
        },
      ],
    },
  };
  return { job, pod };
}

const suite = describe.skipIf(missing.length > 0);

suite("Kaniko step of the build Job, run by podman", { timeout: 900_000 }, () => {
  const registry = env.KLI8NT_TEST_REGISTRY ?? "";
  const inPod = `${REGISTRY_NAME}:${registry.split(":")[1] ?? ""}`;
  const suffix = randomBytes(4).toString("hex");
  let github: FakeGitHub;
  let work: string;
  let cloneUrl: string;
  let token: string;
  const cleanups: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    await bundle(["build-prepare"]);
    work = await mkdtemp(join(tmpdir(), "kli8nt-kaniko-pod-"));
    github = await startFakeGitHub();
    token = github.addUser({ login: "alice" }).token;
    const sample = samplePath("static-site");
    cloneUrl = (await github.addRepo({ owner: "alice", name: "shop", private: true, fromDir: sample }))
      .cloneUrl;
    // The cluster would pull base images from a mirror: here the local base image, pushed to the registry.
    const caddy = (JSON.parse(env.KLI8NT_TEST_BASE_IMAGES ?? "{}") as Record<string, string>).caddy ?? "";
    const mirror = await flattenedBaseImage(caddy, work);
    await run("podman", ["push", "-q", "--tls-verify=false", mirror, `docker://${registry}/mirror/caddy:2`]);
  });

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await github?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** The rendered Job's pod on this host, with its prepare step done (the workspace laid out). */
  async function preparedPod(
    name: string,
    registryInsecure: boolean,
    app: {
      appName?: string;
      url?: string;
      settings?: Partial<JobSettings>;
      configMaps?: Record<string, Record<string, string>>;
      /** In-pod registry prefix of the app's repositories (default: the plain test registry). */
      registry?: string;
      /** Kaniko's Docker config for the per-build Secret (per-build registry tokens, ADR 0140). */
      registryConfig?: (names: BuildNames) => string;
    } = {},
  ) {
    const settings = jobSettings({
      kanikoImage: `${(env.KLI8NT_TEST_KANIKO_IMAGE ?? "").replace(/:[^/]+$/, "")}@${env.KLI8NT_TEST_KANIKO_DIGEST}`,
      baseImages: { caddy: `${inPod}/mirror/caddy:2` },
      registryInsecure,
      ...app.settings,
    });
    const message = buildMessage(app.appName ?? "shop", app.url ?? cloneUrl, `dep_${name}_${suffix}`);
    const { pod, names } = renderedBuildPod(message, app.registry ?? `${inPod}/kli8nt`, settings);
    const secret = renderTokenSecret(names, {}, settings, token, app.registryConfig?.(names));
    const secrets = { [names.secret]: secret.stringData ?? {} };
    const host = await materialisePod(pod, join(work, name), secrets, app.configMaps);
    // The init container's own entry point and env, as a host process (its image, the kli8nt image, is
    // not built here); it clones with the token file and writes context + Dockerfile into the workspace.
    const prepareCommand = findContainer(pod, "prepare").command ?? [];
    const prepare = await runAsHostProcess(pod, "prepare", host, {
      entrypoint: prepareEntrypoint(prepareCommand),
      terminationMessageEnv: "KLI8NT_TERMINATION_LOG",
      baseEnv: { PATH: env.PATH, HOME: work },
      timeoutMs: 120_000,
    });
    expect(prepare.terminated.exitCode, explain("prepare", prepare)).toBe(0);
    return { pod, names, host, prepare };
  }

  async function runKaniko({ pod, names, host, prepare }: Awaited<ReturnType<typeof preparedPod>>) {
    const container = `kli8nt-kaniko-${names.job}`;
    cleanups.push(() => run("podman", ["rm", "-f", container]));
    const kaniko = await runPodContainer(
      pod,
      "kaniko",
      host,
      { podName: names.job, network: "host", hosts: { [REGISTRY_NAME]: "127.0.0.1" } },
      { name: container, timeoutMs: 600_000 },
    );
    // The controller's own reading of the outcome, from the statuses the cluster would report.
    const { job, pod: status } = reportedStatus(prepare, kaniko);
    return { kaniko, outcome: jobOutcome(job, status, names.repository) };
  }

  it("builds the rendered Dockerfile, pushes by digest, and the pulled image answers 200", async () => {
    const { kaniko, outcome } = await runKaniko(await preparedPod("ok", true));
    expect(kaniko.terminated.exitCode, explain("kaniko", kaniko)).toBe(0);
    expect(outcome).toMatchObject({ kind: "succeeded", plan: { provider: "static", port: 8080 } });
    if (outcome.kind !== "succeeded") return;
    expect(outcome.image).toMatch(new RegExp(`^${inPod}/kli8nt/shop@sha256:[0-9a-f]{64}$`));

    // Kaniko's layer cache went to the app's cache repository in the same registry.
    const cache = await fetch(`http://${registry}/v2/kli8nt/shop/cache/tags/list`);
    expect(((await cache.json()) as { tags?: string[] }).tags?.length ?? 0).toBeGreaterThan(0);

    const pulled = outcome.image.replace(inPod, registry);
    cleanups.push(() => run("podman", ["rmi", "-f", pulled]));
    await run("podman", ["pull", "-q", "--tls-verify=false", pulled]);
    const { stdout: user } = await run("podman", [
      "image",
      "inspect",
      "--format",
      "{{.Config.User}}",
      pulled,
    ]);
    expect(user.trim()).toBe("10001:10001");
    const app = await runImage(pulled);
    cleanups.push(() => app.stop());
    const answer = await waitForHttp(`${app.url}/`, 30_000);
    expect(answer, await app.logs()).toMatchObject({ status: 200 });
    expect(answer.body).toContain("<h1>hello from static-site</h1>");
  });

  it("without KLI8NT_REGISTRY_INSECURE it is refused over TLS, and the Job reports Kaniko's reason", async () => {
    const { kaniko, outcome } = await runKaniko(await preparedPod("tls", false));
    expect(kaniko.terminated.exitCode).toBe(1);
    expect(outcome).toMatchObject({ kind: "failed" });
    if (outcome.kind !== "failed") return;
    // FallbackToLogsOnError: Kaniko's last log lines become the reason the user sees.
    expect(outcome.reason).toMatch(
      /^Building the image failed \(exit code 1\): [\s\S]*checking push permission/,
    );
    expect(outcome.reason).toContain(
      `Get "https://${inPod}/v2/": http: server gave HTTP response to HTTPS client`,
    );
    expect(outcome.reason).not.toContain("\u001b[");
  });

  it("push-only flags (--insecure, --skip-tls-verify; the Job's before) push but cannot pull the mirrored base", async () => {
    const prepared = await preparedPod("pushonly", true);
    const container = prepared.pod.containers[0];
    if (!container?.args) throw new Error("the Job has no Kaniko args");
    const perHost = (arg: string) => /^--(insecure-registry|skip-tls-verify-registry)=/.test(arg);
    expect(container.args.filter(perHost)).toHaveLength(2);
    container.args = [...container.args.filter((arg) => !perHost(arg)), "--insecure", "--skip-tls-verify"];
    const { kaniko, outcome } = await runKaniko(prepared);
    expect(kaniko.terminated.exitCode).toBe(1);
    expect(outcome.kind === "failed" && outcome.reason, kaniko.logs).toContain(`${inPod}/mirror/caddy:2`);
    expect(outcome.kind === "failed" && outcome.reason).toContain(
      "server gave HTTP response to HTTPS client",
    );
  });

  it("pulls its base from a registry behind the build CA, trusting it through the CA ConfigMap alone (ADR 0125)", async () => {
    // HTTPS in front of the test registry, with a certificate for its in-pod name from a CA nothing trusts:
    // no insecure flag names this host:port, so Kaniko verifies it.
    const certs = await makeTestCertificates(await mkdtemp(join(work, "ca-")), REGISTRY_NAME);
    const proxy = await startTlsProxy(`http://${registry}`, certs);
    cleanups.push(async () => proxy.close());
    const behindCa = `${REGISTRY_NAME}:${(proxy.address() as AddressInfo).port}`;
    const base = { caddy: `${behindCa}/mirror/caddy:2` };
    const trusted = await preparedPod("ca", true, {
      settings: { baseImages: base, caConfigMap: { name: "kli8nt-build-ca", key: "ca.crt" } },
      configMaps: { "kli8nt-build-ca": { "ca.crt": await readFile(certs.ca, "utf8") } },
    });
    const ok = await runKaniko(trusted);
    expect(ok.kaniko.terminated.exitCode, explain("kaniko", ok.kaniko)).toBe(0);
    expect(ok.kaniko.logs).toContain(`${behindCa}/mirror/caddy:2`);
    expect(ok.outcome).toMatchObject({ kind: "succeeded", plan: { provider: "static" } });

    const untrusted = await runKaniko(await preparedPod("noca", true, { settings: { baseImages: base } }));
    expect(untrusted.kaniko.terminated.exitCode).toBe(1);
    expect(untrusted.outcome.kind === "failed" && untrusted.outcome.reason).toContain(
      "certificate signed by unknown authority",
    );
  });

  it("npm ci through the configured registry with the CA ConfigMap mounted; the CA stays out of every layer", async () => {
    // As a cluster would be set up: KLI8NT_NPM_REGISTRY, and the host CA bundle in a ConfigMap of the build
    // namespace (KLI8NT_BUILD_CA_CONFIGMAP=kli8nt-build-ca/ca.crt); the network here re-signs TLS.
    const npmRegistry = env.KLI8NT_TEST_NPM_REGISTRY || "https://registry.npmjs.org/";
    const bundle = await readFile(env.KLI8NT_TEST_CA_FILE || "/etc/ssl/certs/ca-certificates.crt", "utf8");
    const node = (JSON.parse(env.KLI8NT_TEST_BASE_IMAGES ?? "{}") as Record<string, string>).node ?? "";
    const mirror = await flattenedBaseImage(node, work);
    await run("podman", ["push", "-q", "--tls-verify=false", mirror, `docker://${registry}/mirror/node:20`]);
    const repo = await github.addRepo({ owner: "alice", name: "api", fromDir: samplePath("node-deps") });
    const prepared = await preparedPod("npm", true, {
      appName: "api",
      url: repo.cloneUrl,
      settings: {
        baseImages: { node: `${inPod}/mirror/node:20` },
        packageRegistries: { npmRegistry },
        caConfigMap: { name: "kli8nt-build-ca", key: "ca.crt" },
      },
      configMaps: { "kli8nt-build-ca": { "ca.crt": bundle } },
    });
    // The prepare step baked the settings into the ARG defaults, as registryBuildArgs gives them locally.
    const dockerfile = await readFile(join(prepared.host.volumes.workspace ?? "", "Dockerfile"), "utf8");
    expect(dockerfile).toContain(`ARG NPM_CONFIG_REGISTRY=${npmRegistry}\n`);
    expect(dockerfile).toContain("ARG NPM_CONFIG_CAFILE=/run/build-ca.crt\n");

    const { kaniko, outcome } = await runKaniko(prepared);
    expect(kaniko.terminated.exitCode, explain("kaniko", kaniko)).toBe(0);
    expect(kaniko.command.join(" ")).toContain(":/run/build-ca.crt:ro");
    expect(outcome).toMatchObject({ kind: "succeeded", plan: { provider: "node", port: 3000 } });
    if (outcome.kind !== "succeeded") return;

    // Neither the pushed image nor the cached layer of `RUN npm ci` (snapshotted while the CA was
    // mounted) carries the file: Kaniko leaves mount points out of its snapshots.
    const digest = outcome.image.slice(outcome.image.indexOf("@") + 1);
    const image = await layerPaths(registry, "kli8nt/api", digest, work);
    expect(image.some((p) => p.includes("node_modules/ms/"))).toBe(true);
    expect(image.filter((p) => p.includes("build-ca"))).toEqual([]);
    const cache = await fetch(`http://${registry}/v2/kli8nt/api/cache/tags/list`);
    const tags = ((await cache.json()) as { tags?: string[] }).tags ?? [];
    const cached = (
      await Promise.all(tags.map((t) => layerPaths(registry, "kli8nt/api/cache", t, work)))
    ).flat();
    expect(cached.some((p) => p.includes("node_modules/ms/"))).toBe(true);
    expect(cached.filter((p) => p.includes("build-ca"))).toEqual([]);

    const pulled = outcome.image.replace(inPod, registry);
    cleanups.push(() => run("podman", ["rmi", "-f", pulled]));
    await run("podman", ["pull", "-q", "--tls-verify=false", pulled]);
    const app = await runImage(pulled);
    cleanups.push(() => app.stop());
    const answer = await waitForHttp(`${app.url}/`, 30_000);
    expect(answer, await app.logs()).toMatchObject({ status: 200 });
    expect(answer.body).toBe("hello from node-deps: 1m is 60000 ms\n");
  });

  perBuildTokenCases({
    work: () => work,
    registryName: REGISTRY_NAME,
    plainInPod: inPod,
    preparedPod,
    runKaniko,
    explain,
    cleanups,
  });
});
