import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import type { V1ContainerStateTerminated, V1PodSpec } from "@kubernetes/client-node";
import { checkSizeLimits, type MaterialisedPod } from "./pod-on-host.ts";
import { envFlags, findContainer, mountSource, type PodEnvironment, podmanRun } from "./podman-run.ts";
import { TranslationError } from "./translation-error.ts";

export interface ContainerRun {
  /** What the kubelet would report as the container's terminated state. */
  readonly terminated: V1ContainerStateTerminated;
  /** stdout and stderr, interleaved as the container wrote them (the pod log). */
  readonly logs: string;
  /** The full `podman run` command line, for failure messages. */
  readonly command: readonly string[];
}

// The kubelet's limits: a message file is read up to 4 KiB; a log fallback is the last 80 lines / 2 KiB.
const MESSAGE_BYTES = 4096;
const FALLBACK_LINES = 80;
const FALLBACK_BYTES = 2048;

function logTail(logs: string): string {
  const lines = logs.trimEnd().split("\n").slice(-FALLBACK_LINES).join("\n");
  const bytes = Buffer.from(lines);
  return bytes.subarray(Math.max(0, bytes.length - FALLBACK_BYTES)).toString();
}

function spawnCollect(command: string, args: readonly string[], timeoutMs: number, env?: NodeJS.ProcessEnv) {
  return new Promise<{ code: number; output: string }>((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env: env ?? process.env });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => chunks.push(chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 137 : 1), output: Buffer.concat(chunks).toString() });
    });
  });
}

async function terminatedState(
  code: number,
  logs: string,
  file: string,
  policy: "File" | "FallbackToLogsOnError",
): Promise<V1ContainerStateTerminated> {
  const written = (await readFile(file)).subarray(0, MESSAGE_BYTES).toString();
  const fallback = policy === "FallbackToLogsOnError" && code !== 0 && written === "";
  const message = fallback ? logTail(logs) : written;
  return { exitCode: code, reason: code === 0 ? "Completed" : "Error", ...(message ? { message } : {}) };
}

/**
 * Runs one container of the pod spec with podman, attached, and reads its outcome back the way the
 * kubelet does (exit code, termination message with its log fallback). `name` must be unique per run.
 */
export async function runPodContainer(
  pod: V1PodSpec,
  containerName: string,
  host: MaterialisedPod,
  environment: PodEnvironment,
  options: { readonly name: string; readonly timeoutMs: number },
): Promise<ContainerRun> {
  const spec = podmanRun(pod, containerName, host, environment);
  const command = ["run", "--rm", `--name=${options.name}`, ...spec.argv];
  const { code, output } = await spawnCollect("podman", command, options.timeoutMs);
  await checkSizeLimits(host);
  const terminated = await terminatedState(
    code,
    output,
    spec.terminationMessageFile,
    spec.terminationMessagePolicy,
  );
  return { terminated, logs: output, command: ["podman", ...command] };
}

/**
 * Runs a container's entry point as a host process instead of in its image: with the container's env,
 * where every value naming a path under one of its mount points names that volume on the host, and
 * `terminationMessageEnv` set to its termination message file. It stands in for a container whose image
 * is not built here (the prepare step); its securityContext, resources and image are not reproduced.
 */
export async function runAsHostProcess(
  pod: V1PodSpec,
  containerName: string,
  host: MaterialisedPod,
  options: {
    readonly entrypoint: readonly string[];
    readonly terminationMessageEnv: string;
    readonly baseEnv: NodeJS.ProcessEnv;
    readonly timeoutMs: number;
  },
): Promise<ContainerRun> {
  const container = findContainer(pod, containerName);
  const mounts = (container.volumeMounts ?? []).map((m) => {
    const source = host.volumes[m.name];
    if (source === undefined) throw new TranslationError(`volume ${m.name} not in the pod`);
    return { path: m.mountPath, source: mountSource(source, m) };
  });
  const remap = (value: string) => {
    const mount = mounts.find((m) => value === m.path || value.startsWith(`${m.path}/`));
    return mount ? mount.source + value.slice(mount.path.length) : value;
  };
  // envFlags validates the variables (plain values only, no $(VAR)) exactly as for podman.
  const variables = envFlags(container.env).map((flag) => flag.slice("--env=".length));
  const env: NodeJS.ProcessEnv = { ...options.baseEnv };
  for (const variable of variables) {
    const at = variable.indexOf("=");
    env[variable.slice(0, at)] = remap(variable.slice(at + 1));
  }
  const file = host.terminationMessages[containerName] ?? "";
  env[options.terminationMessageEnv] = file;
  const [command = "", ...args] = options.entrypoint;
  const { code, output } = await spawnCollect(command, args, options.timeoutMs, env);
  const policy =
    container.terminationMessagePolicy === "FallbackToLogsOnError" ? "FallbackToLogsOnError" : "File";
  return {
    terminated: await terminatedState(code, output, file, policy),
    logs: output,
    command: options.entrypoint,
  };
}
