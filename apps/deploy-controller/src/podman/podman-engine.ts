import { Kli8ntError, UnavailableError } from "@kli8nt/core";
import type { Engine, Instance, InstanceSpec, InstanceStatus, OneOffInstanceSpec } from "../engine.ts";
import { exec } from "../exec.ts";
import { freePort } from "../free-port.ts";
import { secretPrefix, writeContainerEnv } from "./container-env.ts";
import { followPodmanLogs } from "./podman-follow.ts";
import { tailPodmanLogs } from "./podman-tail.ts";
import { limitFlags } from "./quantities.ts";

export interface PodmanOptions {
  /** PATH/HOME for the podman client: the platform's fixed environment, never app env (ADR 0135). */
  readonly hostEnv: Readonly<Record<string, string>>;
  /** Memory limit of an instance whose formation names none (e.g. "512m"); none when absent. */
  readonly memory?: string | undefined;
  /** Seconds podman waits after SIGTERM before SIGKILL when stopping an instance. */
  readonly stopGraceSeconds: number;
  /**
   * Names this platform's containers (a label), so two installations sharing one podman (two data dirs,
   * parallel test suites) never list, adopt or remove each other's instances.
   */
  readonly installation: string;
  /** Private directory (0700) for the env files podman reads at start; emptied when the engine is made. */
  readonly envDir: string;
}

export const LABEL = "kli8nt";
const INSTALLATION_LABEL = "kli8nt.installation";
const NAME_PREFIX = "kli8nt-";
/** podman's answer when a container of that name exists (running or not). */
const NAME_IN_USE = /name is already in use|already in use by/;

/** Deterministic container name: podman refuses a second container for the same instance key. */
export function containerName(key: string): string {
  return `${NAME_PREFIX}${key}`;
}

interface PsEntry {
  readonly Names?: string[];
  readonly Labels?: Record<string, string> | null;
  readonly State?: string;
}

interface RunArgs {
  readonly key: string;
  readonly deploymentId: string;
  readonly appName: string;
  readonly process: string;
  readonly index: number;
  readonly image: string;
  readonly command: string | null;
  readonly publish: { hostPort: number; port: number } | null;
  readonly memory?: string | undefined;
  readonly cpu?: string | undefined;
  readonly env: Readonly<Record<string, string>>;
}

/** Instances as containers on the host's loopback: `-p 127.0.0.1:<free port>:<app port>`, env via a file. */
export function podmanEngine(options: PodmanOptions): Engine {
  // The host's podman only ever gets the platform's fixed environment: app env goes through
  // writeContainerEnv, so PATH, LD_PRELOAD or CONTAINERS_CONF set by an app cannot choose what runs here.
  const podman = (args: string[], timeoutMs?: number) =>
    exec("podman", args, { env: { ...options.hostEnv }, ...(timeoutMs ? { timeoutMs } : {}) });
  const removeSecrets = async (key: string) => {
    const prefix = secretPrefix(containerName(key));
    const r = await podman(["secret", "ls", "--format", "{{.Name}}"]);
    const names = r.stdout.split("\n").filter((n) => n.startsWith(prefix));
    if (names.length > 0) await podman(["secret", "rm", ...names]);
  };
  const inspect = async (key: string): Promise<(InstanceStatus & { upstream: string }) | null> => {
    const r = await podman([
      "container",
      "inspect",
      "--format",
      '{{.State.Running}} {{.State.ExitCode}} {{index .Config.Labels "kli8nt.upstream"}}',
      containerName(key),
    ]);
    if (r.code !== 0) return null;
    const [running, exitCode, upstream] = r.stdout.trim().split(" ");
    return {
      running: running === "true",
      exitCode: running === "true" ? null : Number(exitCode),
      upstream: upstream ?? "",
    };
  };
  const run = async (a: RunArgs, detach: boolean) => {
    const upstream = a.publish ? `http://127.0.0.1:${a.publish.hostPort}` : "";
    const name = containerName(a.key);
    const appEnv = await writeContainerEnv(options.envDir, name, {
      ...a.env,
      ...(a.publish ? { PORT: String(a.publish.port) } : {}),
    });
    const args = [
      "run",
      ...(detach ? ["-d"] : []),
      "--name",
      name,
      ...["--label", `${LABEL}=1`, "--label", `${INSTALLATION_LABEL}=${options.installation}`],
      ...["--label", `kli8nt.app=${a.appName}`, "--label", `kli8nt.deployment=${a.deploymentId}`],
      ...["--label", `kli8nt.process=${a.process}`, "--label", `kli8nt.index=${a.index}`],
      ...["--label", `kli8nt.started=${new Date().toISOString()}`, "--label", `kli8nt.upstream=${upstream}`],
      ...(a.publish ? ["-p", `127.0.0.1:${a.publish.hostPort}:${a.publish.port}`] : []),
      ...limitFlags(a.memory ?? options.memory, a.cpu),
      ...appEnv.args,
      // A process type's command replaces the image's start the way a Procfile line does: through sh.
      ...(a.command === null ? [a.image] : ["--entrypoint", "/bin/sh", a.image, "-c", a.command]),
    ];
    try {
      // Leftovers of an earlier attempt would make `secret create` fail; most apps have none to check for.
      if (appEnv.secrets.size > 0) await removeSecrets(a.key);
      for (const [secret, file] of appEnv.secrets) {
        const created = await podman(["secret", "create", secret, file]);
        if (created.code !== 0) return { ...created, upstream };
      }
      return { ...(await podman(args)), upstream };
    } finally {
      await appEnv.dispose();
    }
  };
  const remove = async (key: string, graceSeconds: number) => {
    const name = containerName(key);
    await podman(["stop", "-t", String(graceSeconds), name]);
    await podman(["rm", "-f", "--ignore", name]);
    await removeSecrets(key);
  };
  const startFailed = (stderr: string) =>
    new Kli8ntError("terminal", "RELEASE_START_FAILED", `The container did not start: ${lastLine(stderr)}`);

  return {
    kind: "podman",
    isolated: true,
    // `podman run` first: the name is the idempotence key, so only a conflict (a redelivered DEPLOY, a
    // restart) costs the extra inspect, not every deploy.
    async start(spec: InstanceSpec): Promise<Instance> {
      const args: RunArgs = {
        ...spec,
        publish: spec.port === null ? null : { hostPort: await freePort(), port: spec.port },
      };
      const instance = (upstream: string): Instance => ({
        key: spec.key,
        deploymentId: spec.deploymentId,
        appName: spec.appName,
        process: spec.process,
        index: spec.index,
        upstream,
        running: true,
        startedAt: new Date().toISOString(),
      });
      let r = await run(args, true);
      if (r.code !== 0 && NAME_IN_USE.test(r.stderr)) {
        const existing = await inspect(spec.key);
        if (existing?.running) return instance(existing.upstream);
        await podman(["rm", "-f", containerName(spec.key)]);
        r = await run(args, true);
      }
      if (r.code !== 0) throw startFailed(r.stderr);
      return instance(r.upstream);
    },
    stop: (key, stopOptions) => remove(key, stopOptions?.graceSeconds ?? options.stopGraceSeconds),
    status: async (key) => {
      const s = await inspect(key);
      return s ? { running: s.running, exitCode: s.exitCode } : null;
    },
    async list() {
      const r = await podman(["ps", "-a", "--filter", `label=${LABEL}`, "--format", "json"]);
      if (r.code !== 0)
        throw new UnavailableError("RUNTIME_UNAVAILABLE", `podman ps failed: ${lastLine(r.stderr)}`);
      return (JSON.parse(r.stdout || "[]") as PsEntry[]).flatMap((e) => toInstance(e, options.installation));
    },
    logs: (key, lines) => tailPodmanLogs(containerName(key), options.hostEnv, lines),
    follow: (key, since, onLine, onEnd) =>
      followPodmanLogs(containerName(key), options.hostEnv, since, onLine, onEnd),
    async runOnce(spec: OneOffInstanceSpec, signal?: AbortSignal) {
      const name = containerName(spec.key);
      const args: RunArgs = { ...spec, process: "one-off", index: 0, publish: null };
      const r = await run(args, true);
      // The same run already going (a redelivery while it runs): wait for that one instead of a second.
      if (r.code !== 0 && !NAME_IN_USE.test(r.stderr)) throw startFailed(r.stderr);
      const done = new Promise<void>((resolve) => {
        const follower = followPodmanLogs(name, options.hostEnv, null, spec.onLine, resolve);
        signal?.addEventListener("abort", () => follower.stop(), { once: true });
      });
      const kill = () => void podman(["kill", name]);
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        kill();
      }, spec.timeoutMs);
      signal?.addEventListener("abort", kill, { once: true });
      try {
        const waited = await podman(["wait", name], spec.timeoutMs + 60_000);
        await done;
        const tail = await tailPodmanLogs(name, options.hostEnv, 20);
        const code = Number(waited.stdout.trim());
        return { exitCode: timedOut || !Number.isInteger(code) || waited.code !== 0 ? null : code, tail };
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener("abort", kill);
        await remove(spec.key, 0);
      }
    },
  };
}

function toInstance(e: PsEntry, installation: string): Instance[] {
  const labels = e.Labels ?? {};
  // Containers made before the label existed are this platform's as they always were.
  const owner = labels[INSTALLATION_LABEL];
  if (owner !== undefined && owner !== installation) return [];
  const deploymentId = labels["kli8nt.deployment"];
  const appName = labels["kli8nt.app"];
  const name = e.Names?.[0];
  if (!deploymentId || !appName || !name?.startsWith(NAME_PREFIX)) return [];
  const process = labels["kli8nt.process"] ?? "web";
  // One-off runs (release phase, cron) are not instances of the formation.
  if (process === "one-off") return [];
  return [
    {
      key: name.slice(NAME_PREFIX.length),
      deploymentId,
      appName,
      process,
      index: Number(labels["kli8nt.index"] ?? 0),
      upstream: labels["kli8nt.upstream"] ?? "",
      running: e.State === "running",
      startedAt: labels["kli8nt.started"] ?? new Date(0).toISOString(),
    },
  ];
}

function lastLine(text: string): string {
  return text.trim().split("\n").at(-1) ?? "";
}
