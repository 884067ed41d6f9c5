import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { V1PodSpec } from "@kubernetes/client-node";
import { afterAll, describe, expect, it } from "vitest";
import { buildMessage, jobSettings, renderedBuildPod } from "./build-job-fixture.ts";
import { checkSizeLimits, materialisePod } from "./pod-on-host.ts";
import { runAsHostProcess } from "./run-pod-container.ts";

// The kubelet's side of the pod on this host: volumes, termination message files and their fallback.
const dirs: string[] = [];
const scratch = () => {
  const dir = mkdtempSync(join(tmpdir(), "kli8nt-pod-test-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const message = buildMessage("shop", "https://github.com/acme/shop.git", "dep_42");
const { pod, names } = renderedBuildPod(message, "registry.test:5000/kli8nt", jobSettings());
const mode = (path: string) => statSync(path).mode & 0o7777;

describe("the build pod's volumes on the host", () => {
  it("the token Secret as a 0440 file of the fsGroup, the workspace world-writable and setgid", async () => {
    const host = await materialisePod(pod, scratch(), { [names.secret]: { token: "t0ken" } });
    const token = join(host.volumes["git-token"] ?? "", "token");
    expect(readFileSync(token, "utf8")).toBe("t0ken");
    expect(mode(token)).toBe(0o440);
    expect(statSync(token).gid).toBe(1000);
    expect(mode(host.volumes.workspace ?? "")).toBe(0o2777);
    expect(statSync(host.volumes.workspace ?? "").gid).toBe(1000);
    expect(Object.keys(host.terminationMessages).sort()).toEqual(["kaniko", "prepare"]);
    expect(host.sizeLimits).toEqual({ workspace: 10 * 2 ** 30 });
  });

  it("a ConfigMap as files of its keys, 0444 as the Job asks; a missing one is refused", async () => {
    const withCa = renderedBuildPod(
      message,
      "registry.test:5000/kli8nt",
      jobSettings({ caConfigMap: { name: "corp-ca", key: "ca.crt" } }),
    ).pod;
    const secrets = { [names.secret]: { token: "t" } };
    const host = await materialisePod(withCa, scratch(), secrets, { "corp-ca": { "ca.crt": "PEM" } });
    const file = join(host.volumes["build-ca"] ?? "", "ca.crt");
    expect(readFileSync(file, "utf8")).toBe("PEM");
    expect(mode(file)).toBe(0o444);
    await expect(materialisePod(withCa, scratch(), secrets)).rejects.toThrow(
      "ConfigMap corp-ca does not exist",
    );
  });

  it("refuses a Secret that does not exist, a volume kind it cannot lay out and an in-memory emptyDir", async () => {
    await expect(materialisePod(pod, scratch(), {})).rejects.toThrow(`Secret ${names.secret} does not exist`);
    const hostPath: V1PodSpec = { ...pod, volumes: [{ name: "docker", hostPath: { path: "/var/run" } }] };
    await expect(materialisePod(hostPath, scratch(), {})).rejects.toThrow(/volumes\[docker\]\.hostPath/);
    const memory: V1PodSpec = { ...pod, volumes: [{ name: "w", emptyDir: { medium: "Memory" } }] };
    await expect(materialisePod(memory, scratch(), {})).rejects.toThrow(/emptyDir medium Memory/);
  });

  it("fails like an eviction when an emptyDir outgrows its sizeLimit", async () => {
    const small: V1PodSpec = { ...pod, volumes: [{ name: "w", emptyDir: { sizeLimit: "64Ki" } }] };
    const host = await materialisePod(small, scratch(), {});
    await checkSizeLimits(host);
    writeFileSync(join(host.volumes.w ?? "", "big"), Buffer.alloc(128 * 1024));
    await expect(checkSizeLimits(host)).rejects.toThrow(/over its sizeLimit 65536/);
  });
});

describe("a container's entry point as a host process", () => {
  const podWith = (policy: "File" | "FallbackToLogsOnError"): V1PodSpec => ({
    ...pod,
    initContainers: [
      {
        ...(pod.initContainers?.[0] ?? { name: "prepare" }),
        terminationMessagePolicy: policy,
        env: [{ name: "OUT", value: "/workspace/out.txt" }],
      },
    ],
  });
  const run = async (script: string, policy: "File" | "FallbackToLogsOnError") => {
    const spec = podWith(policy);
    const host = await materialisePod(spec, scratch(), { [names.secret]: { token: "" } });
    const result = await runAsHostProcess(spec, "prepare", host, {
      entrypoint: ["sh", "-c", script],
      terminationMessageEnv: "TERMINATION_LOG",
      baseEnv: { PATH: process.env.PATH },
      timeoutMs: 10_000,
    });
    return { result, host };
  };

  it("maps paths under mount points to the volumes and reads the termination message file", async () => {
    const { result, host } = await run('echo hi > "$OUT"; printf done > "$TERMINATION_LOG"', "File");
    expect(result.terminated).toEqual({ exitCode: 0, reason: "Completed", message: "done" });
    expect(readFileSync(join(host.volumes.workspace ?? "", "out.txt"), "utf8")).toBe("hi\n");
  });

  it("FallbackToLogsOnError: a failure without a message reports the log tail, a success none", async () => {
    const failed = await run("seq 1 100; exit 3", "FallbackToLogsOnError");
    expect(failed.result.terminated.exitCode).toBe(3);
    expect(failed.result.terminated.message?.split("\n")).toEqual(
      Array.from({ length: 80 }, (_, i) => String(i + 21)),
    );
    const ok = await run("echo fine", "FallbackToLogsOnError");
    expect(ok.result.terminated.message).toBeUndefined();
    const file = await run("echo logs; exit 1", "File");
    expect(file.result.terminated.message).toBeUndefined();
  });
});
