import type { V1Container, V1PodSpec } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { KANIKO_CAPABILITIES } from "../../apps/build-controller/src/kaniko-job/render-build-job.ts";
import { buildMessage, jobSettings, renderedBuildPod } from "./build-job-fixture.ts";
import { KUBERNETES_DEFAULT_CAPABILITIES } from "./container-security.ts";
import { type HostPod, type PodEnvironment, podmanRun } from "./podman-run.ts";

// The translation of the build Job's pod spec into `podman run` arguments, on the Job the build
// controller really renders (apps/build-controller/src/kaniko-job/render-build-job.ts).
const message = buildMessage("shop", "https://github.com/acme/shop.git", "dep_0123456789");
const REGISTRY = "registry.kli8nt.test:5000/kli8nt";
const host: HostPod = {
  volumes: { workspace: "/h/workspace", "git-token": "/h/git-token", registry: "/h/registry" },
  terminationMessages: { prepare: "/h/term/prepare", kaniko: "/h/term/kaniko" },
};
const environment: PodEnvironment = {
  podName: "build-pod",
  network: "host",
  hosts: { "registry.kli8nt.test": "127.0.0.1" },
};

function rendered(overrides = {}) {
  return renderedBuildPod(message, REGISTRY, jobSettings(overrides)).pod;
}

/** The pod with one container's spec changed (deep copies: the rendered object stays untouched). */
function withContainer(name: string, change: (c: V1Container) => void, pod = rendered()): V1PodSpec {
  const copy = structuredClone(pod);
  const container = [...(copy.initContainers ?? []), ...copy.containers].find((c) => c.name === name);
  if (!container) throw new Error(name);
  change(container);
  return copy;
}

const argv = (pod: V1PodSpec, name = "kaniko") => podmanRun(pod, name, host, environment).argv;

describe("podman run from the build Job's Kaniko container", () => {
  it("mounts the CA ConfigMap's key read-only at /run/build-ca.crt (subPath: that one file)", () => {
    const pod = rendered({ caConfigMap: { name: "corp-ca", key: "bundle.pem" } });
    const withCa = { ...host, volumes: { ...host.volumes, "build-ca": "/h/build-ca" } };
    const args = podmanRun(pod, "kaniko", withCa, environment).argv;
    expect(args).toContain("--volume=/h/build-ca/bundle.pem:/run/build-ca.crt:ro");
  });

  it("keeps the image, its entrypoint and the Job's Kaniko arguments verbatim, in order, at the end", () => {
    const pod = rendered();
    const kaniko = pod.containers[0];
    const args = argv(pod);
    const image = args.indexOf(kaniko?.image ?? "");
    expect(image).toBeGreaterThan(0);
    expect(args.slice(image + 1)).toEqual(kaniko?.args);
    expect(args.some((a) => a.startsWith("--entrypoint"))).toBe(false);
    expect(kaniko?.args).toContain("--insecure-registry=registry.kli8nt.test:5000");
    expect(kaniko?.args).toContain("--skip-tls-verify-registry=registry.kli8nt.test:5000");
  });

  it("gives env, the workspace, the termination log, root with Kaniko's capabilities only and the limits", () => {
    const args = argv(rendered());
    expect(args).toEqual(
      expect.arrayContaining([
        "--hostname=build-pod",
        "--network=host",
        "--add-host=registry.kli8nt.test:127.0.0.1",
        "--pull=missing",
        "--env=DOCKER_CONFIG=/kaniko/.docker",
        "--volume=/h/workspace:/workspace:rw",
        "--volume=/h/term/kaniko:/dev/termination-log:rw",
        "--group-add=1000",
        "--user=0",
        "--cap-drop=all",
        // The Job drops the runtime default set and adds back only what Kaniko needs (ADR 0140).
        `--cap-add=${KANIKO_CAPABILITIES.join(",")}`,
        "--security-opt=no-new-privileges",
        "--cpus=2",
        "--cpu-shares=256",
        `--memory=${4 * 2 ** 30}`,
        `--memory-swap=${4 * 2 ** 30}`,
        "--pids-limit=-1",
      ]),
    );
    // RuntimeDefault: podman's own seccomp profile, never unconfined.
    expect(args.filter((a) => a.startsWith("--security-opt=seccomp"))).toEqual([]);
    expect(KANIKO_CAPABILITIES.filter((c) => !KUBERNETES_DEFAULT_CAPABILITIES.includes(c as never))).toEqual(
      [],
    );
    expect(args.filter((a) => a.startsWith("--volume"))).toHaveLength(2);
  });

  it("mounts the registry credentials read-only when the Job has a push Secret", () => {
    const args = argv(rendered({ registrySecret: "push-creds" }));
    expect(args).toContain("--volume=/h/registry:/kaniko/.docker:ro");
  });

  it("runs prepare as uid 1000 without capabilities, with the token read-only and its own entrypoint", () => {
    const pod = rendered();
    const args = argv(pod, "prepare");
    const prepare = pod.initContainers?.[0];
    expect(args).toEqual(
      expect.arrayContaining([
        "--user=1000",
        "--group-add=1000",
        "--cap-drop=all",
        "--security-opt=no-new-privileges",
        "--volume=/h/git-token:/var/run/kli8nt/git:ro",
        "--volume=/h/workspace:/workspace:rw",
        `--entrypoint=${JSON.stringify(prepare?.command)}`,
        "--env=KLI8NT_GIT_TOKEN_FILE=/var/run/kli8nt/git/token",
      ]),
    );
    expect(args.filter((a) => a.startsWith("--cap-add"))).toEqual([]);
    expect(args.at(-1)).toBe(prepare?.image);
  });
});

describe("what the translation derives as the kubelet would", () => {
  it("pull policy: Always for :latest or no tag, IfNotPresent for a tag or digest, or as given", () => {
    const pull = (image: string, policy?: string) =>
      argv(withContainer("kaniko", (c) => Object.assign(c, { image, imagePullPolicy: policy })))
        .filter((a) => a.startsWith("--pull="))
        .join();
    expect(pull("r.test:5000/kaniko")).toBe("--pull=always");
    expect(pull("r.test:5000/kaniko:latest")).toBe("--pull=always");
    expect(pull("r.test:5000/kaniko:v1")).toBe("--pull=missing");
    expect(pull(`kaniko@sha256:${"0".repeat(64)}`)).toBe("--pull=missing");
    expect(pull("kaniko:v1", "Never")).toBe("--pull=never");
  });

  it("cpu shares from the limit when no request is given, the minimum of 2 without either", () => {
    const shares = (resources: object) =>
      argv(withContainer("kaniko", (c) => Object.assign(c, { resources }))).find((a) =>
        a.startsWith("--cpu-shares"),
      );
    expect(shares({ limits: { cpu: "500m" } })).toBe("--cpu-shares=512");
    expect(shares({})).toBe("--cpu-shares=2");
  });

  it("command without args drops the image's CMD; args alone keep its ENTRYPOINT", () => {
    const withCommand = argv(
      withContainer("kaniko", (c) => Object.assign(c, { command: ["/bin/x"], args: undefined })),
    );
    expect(withCommand.at(-1)).toBe(rendered().containers[0]?.image);
    expect(withCommand).toContain('--entrypoint=["/bin/x"]');
  });
});

describe("what the translation refuses instead of dropping", () => {
  const refusals: Array<[string, () => V1PodSpec, RegExp]> = [
    [
      "a container field",
      () => withContainer("kaniko", (c) => Object.assign(c, { ports: [{ containerPort: 1 }] })),
      /container kaniko\.ports/,
    ],
    [
      "envFrom",
      () => withContainer("kaniko", (c) => Object.assign(c, { envFrom: [{ secretRef: { name: "s" } }] })),
      /envFrom/,
    ],
    [
      "a probe",
      () => withContainer("kaniko", (c) => Object.assign(c, { livenessProbe: { exec: { command: ["x"] } } })),
      /livenessProbe/,
    ],
    [
      "env valueFrom",
      () =>
        withContainer("kaniko", (c) =>
          c.env?.push({ name: "X", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }),
        ),
      /env\[X\]\.valueFrom/,
    ],
    [
      "$(VAR) in args",
      () => withContainer("kaniko", (c) => c.args?.push("--destination=$(DEST)")),
      /\$\(VAR\) expansion in args/,
    ],
    [
      "a subPath leaving its volume",
      () => withContainer("kaniko", (c) => Object.assign(c.volumeMounts?.[0] ?? {}, { subPath: "../x" })),
      /subPath \.\.\/x leaves its volume/,
    ],
    [
      "a mount of a volume the pod lacks",
      () => withContainer("kaniko", (c) => c.volumeMounts?.push({ name: "cache", mountPath: "/c" })),
      /volume cache not in the pod/,
    ],
    [
      "an extended resource",
      () =>
        withContainer("kaniko", (c) =>
          Object.assign(c, { resources: { limits: { "nvidia.com/gpu": "1" } } }),
        ),
      /resources\.limits\.nvidia\.com\/gpu/,
    ],
    [
      "ephemeral storage",
      () =>
        withContainer("kaniko", (c) =>
          Object.assign(c, { resources: { requests: { "ephemeral-storage": "1Gi" } } }),
        ),
      /ephemeral-storage/,
    ],
    [
      "an unparsable quantity",
      () => withContainer("kaniko", (c) => Object.assign(c, { resources: { limits: { memory: "1e3" } } })),
      /memory quantity "1e3"/,
    ],
    [
      "a Localhost seccomp profile",
      () =>
        withContainer("kaniko", (c) =>
          Object.assign(c, {
            securityContext: { seccompProfile: { type: "Localhost", localhostProfile: "p" } },
          }),
        ),
      /seccompProfile\.localhostProfile/,
    ],
    [
      "SELinux options",
      () =>
        withContainer("kaniko", (c) =>
          Object.assign(c, { securityContext: { seLinuxOptions: { level: "s0" } } }),
        ),
      /securityContext\.seLinuxOptions/,
    ],
    [
      "runAsNonRoot without a uid",
      () => withContainer("kaniko", (c) => Object.assign(c, { securityContext: { runAsNonRoot: true } })),
      /runAsNonRoot without a non-zero runAsUser/,
    ],
    [
      "a termination message policy it does not know",
      () => withContainer("kaniko", (c) => Object.assign(c, { terminationMessagePolicy: "Other" })),
      /terminationMessagePolicy Other/,
    ],
    ["hostNetwork", () => ({ ...rendered(), hostNetwork: true }), /pod\.hostNetwork/],
    [
      "a ServiceAccount token",
      () => {
        const { automountServiceAccountToken: _, ...pod } = rendered();
        return pod;
      },
      /automountServiceAccountToken/,
    ],
    ["service links", () => ({ ...rendered(), enableServiceLinks: true }), /enableServiceLinks/],
    ["restarts", () => ({ ...rendered(), restartPolicy: "OnFailure" }), /restartPolicy OnFailure/],
    [
      "a pod-level sysctl",
      () => ({ ...rendered(), securityContext: { sysctls: [{ name: "a", value: "1" }] } }),
      /pod\.securityContext\.sysctls/,
    ],
  ];

  it.each(refusals)("%s", (_what, pod, reason) => {
    expect(() => podmanRun(pod(), "kaniko", host, environment)).toThrowError(
      expect.objectContaining({ code: "UNTRANSLATABLE_POD_SPEC", message: expect.stringMatching(reason) }),
    );
  });

  it("a container that is not in the pod", () => {
    expect(() => podmanRun(rendered(), "builder", host, environment)).toThrow(/no container named builder/);
  });
});
