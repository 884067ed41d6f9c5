import { Kli8ntError, UnavailableError } from "@kli8nt/core";
import { exec } from "../exec.ts";
import { freePort } from "../free-port.ts";
import type { ReleaseInstance, ReleaseSpec, ReleaseStatus, Runtime } from "../runtime.ts";
import { secretPrefix, writeContainerEnv } from "./container-env.ts";
import { followPodmanLogs } from "./podman-follow.ts";
import { tailPodmanLogs } from "./podman-tail.ts";

export interface PodmanOptions {
  /** PATH/HOME for the podman client: the platform's fixed environment, never app env (ADR 0135). */
  readonly hostEnv: Readonly<Record<string, string>>;
  /** Memory limit per app container (e.g. "512m"); none when absent. */
  readonly memory?: string | undefined;
  /** Seconds podman waits after SIGTERM before SIGKILL when stopping a release. */
  readonly stopGraceSeconds: number;
  /**
   * Names this platform's containers (a label), so two installations sharing one podman (two data dirs,
   * parallel test suites) never list, adopt or remove each other's releases.
   */
  readonly installation: string;
  /** Private directory (0700) for the env files podman reads at start; emptied when the runtime is made. */
  readonly envDir: string;
}

export const LABEL = "kli8nt";
const INSTALLATION_LABEL = "kli8nt.installation";
const NAME_PREFIX = "kli8nt-";
/** podman's answer when a container of that name exists (running or not). */
const NAME_IN_USE = /name is already in use|already in use by/;

/** Deterministic container name: podman refuses a second container for the same release. */
export function containerName(deploymentId: string): string {
  return `${NAME_PREFIX}${deploymentId}`;
}

interface PsEntry {
  readonly Names?: string[];
  readonly Labels?: Record<string, string> | null;
  readonly State?: string;
}

/** One container per release on the host's loopback: `-p 127.0.0.1:<free port>:<app port>`, env via a file. */
export function podmanRuntime(options: PodmanOptions): Runtime {
  // The host's podman only ever gets the platform's fixed environment: app env goes through
  // writeContainerEnv, so PATH, LD_PRELOAD or CONTAINERS_CONF set by an app cannot choose what runs here.
  const podman = (args: string[]) => exec("podman", args, { env: { ...options.hostEnv } });
  const removeSecrets = async (deploymentId: string) => {
    const prefix = secretPrefix(containerName(deploymentId));
    const r = await podman(["secret", "ls", "--format", "{{.Name}}"]);
    const names = r.stdout.split("\n").filter((n) => n.startsWith(prefix));
    if (names.length > 0) await podman(["secret", "rm", ...names]);
  };
  const inspect = async (deploymentId: string): Promise<(ReleaseStatus & { upstream: string }) | null> => {
    const r = await podman([
      "container",
      "inspect",
      "--format",
      '{{.State.Running}} {{.State.ExitCode}} {{index .Config.Labels "kli8nt.upstream"}}',
      containerName(deploymentId),
    ]);
    if (r.code !== 0) return null;
    const [running, exitCode, upstream] = r.stdout.trim().split(" ");
    return {
      running: running === "true",
      exitCode: running === "true" ? null : Number(exitCode),
      upstream: upstream ?? "",
    };
  };
  const run = async (spec: ReleaseSpec) => {
    const hostPort = await freePort();
    const upstream = `http://127.0.0.1:${hostPort}`;
    const appEnv = await writeContainerEnv(options.envDir, containerName(spec.deploymentId), {
      ...spec.env,
      PORT: String(spec.port),
    });
    const args = [
      "run",
      "-d",
      "--name",
      containerName(spec.deploymentId),
      "--label",
      `${LABEL}=1`,
      "--label",
      `${INSTALLATION_LABEL}=${options.installation}`,
      "--label",
      `kli8nt.app=${spec.appName}`,
      "--label",
      `kli8nt.deployment=${spec.deploymentId}`,
      "--label",
      `kli8nt.upstream=${upstream}`,
      "-p",
      `127.0.0.1:${hostPort}:${spec.port}`,
      ...(options.memory ? ["--memory", options.memory] : []),
      ...appEnv.args,
      spec.image,
    ];
    try {
      // Leftovers of an earlier attempt would make `secret create` fail; most apps have none to check for.
      if (appEnv.secrets.size > 0) await removeSecrets(spec.deploymentId);
      for (const [name, file] of appEnv.secrets) {
        const created = await podman(["secret", "create", name, file]);
        if (created.code !== 0) return { ...created, upstream };
      }
      return { ...(await podman(args)), upstream };
    } finally {
      await appEnv.dispose();
    }
  };
  const runtime: Runtime = {
    kind: "podman",
    isolated: true,
    // `podman run` first: the name is the idempotence key, so only a conflict (a redelivered DEPLOY, a
    // restart) costs the extra inspect, not every deploy.
    async start(spec: ReleaseSpec): Promise<ReleaseInstance> {
      const instance = (upstream: string) => ({
        deploymentId: spec.deploymentId,
        appName: spec.appName,
        upstream,
        running: true,
      });
      let r = await run(spec);
      if (r.code !== 0 && NAME_IN_USE.test(r.stderr)) {
        const existing = await inspect(spec.deploymentId);
        if (existing?.running) return instance(existing.upstream);
        await podman(["rm", "-f", containerName(spec.deploymentId)]);
        r = await run(spec);
      }
      if (r.code !== 0) {
        throw new Kli8ntError(
          "terminal",
          "RELEASE_START_FAILED",
          `The container did not start: ${lastLine(r.stderr)}`,
        );
      }
      return instance(r.upstream);
    },
    async stop(deploymentId, stopOptions) {
      const name = containerName(deploymentId);
      await podman(["stop", "-t", String(stopOptions?.graceSeconds ?? options.stopGraceSeconds), name]);
      await podman(["rm", "-f", "--ignore", name]);
      await removeSecrets(deploymentId);
    },
    status: async (deploymentId) => {
      const s = await inspect(deploymentId);
      return s ? { running: s.running, exitCode: s.exitCode } : null;
    },
    async list() {
      const r = await podman(["ps", "-a", "--filter", `label=${LABEL}`, "--format", "json"]);
      if (r.code !== 0)
        throw new UnavailableError("RUNTIME_UNAVAILABLE", `podman ps failed: ${lastLine(r.stderr)}`);
      const entries = JSON.parse(r.stdout || "[]") as PsEntry[];
      return entries.flatMap((e) => {
        const labels = e.Labels ?? {};
        // Containers made before the label existed are this platform's as they always were.
        const owner = labels[INSTALLATION_LABEL];
        if (owner !== undefined && owner !== options.installation) return [];
        const deploymentId = labels["kli8nt.deployment"];
        const appName = labels["kli8nt.app"];
        if (!deploymentId || !appName) return [];
        return [
          {
            deploymentId,
            appName,
            upstream: labels["kli8nt.upstream"] ?? "",
            running: e.State === "running",
          },
        ];
      });
    },
    logs: (deploymentId, lines) => tailPodmanLogs(containerName(deploymentId), options.hostEnv, lines),
    follow: (deploymentId, since, onLine, onEnd) =>
      followPodmanLogs(containerName(deploymentId), options.hostEnv, since, onLine, onEnd),
  };
  return runtime;
}

function lastLine(text: string): string {
  return text.trim().split("\n").at(-1) ?? "";
}
