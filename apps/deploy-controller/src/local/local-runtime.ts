import { backoffDelay, isKli8ntError } from "@kli8nt/core";
import type { Engine, Instance } from "../engine.ts";
import { waitHealthy } from "../health-check.ts";
import type { RouteTable } from "../routes.ts";
import type { RunLogCapture } from "../run-log-capture.ts";
import type {
  ApplyOutcome,
  AppObservation,
  DesiredRelease,
  OneOffResult,
  OneOffSpec,
  ProcessSpec,
  RuntimePort,
} from "../runtime-port.ts";
import { instanceKey, oneOffKey } from "./instance-key.ts";

export interface LocalRuntimeSettings {
  readonly healthTimeoutMs: number;
  /** How long a replaced instance keeps running after traffic moved, for in-flight requests. */
  readonly drainMs: number;
  /** `http://{app}.localhost:8000`: the URL of a live release. */
  readonly appUrlTemplate: string;
  /** First pause before restarting an instance that died again soon after a restart; doubles per crash. */
  readonly crashBackoffMs: number;
  readonly crashBackoffMaxMs: number;
  /** A restarted instance that stays up this long is healthy again: its crash streak is forgotten. */
  readonly stableMs: number;
  readonly now?: () => number;
}

export interface LocalRuntimeDeps {
  readonly engine: Engine;
  readonly routes: RouteTable;
  /** Follows each started instance's output into the log store (phase `run`). */
  readonly capture?: RunLogCapture | undefined;
  readonly settings: LocalRuntimeSettings;
  readonly logger: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

/** What one apply pass found and did, for the outcome and the reconciler's conditions. */
interface Pass {
  restarted: number;
  /** An instance restarted after a crash has not stayed up long enough yet. */
  recovering: boolean;
  retryAfterMs: number | null;
  problems: string[];
}

const slotOf = (app: string, deploymentId: string, process: string, index: number) =>
  `${app}/${deploymentId}/${process}/${index}`;

/** Per slot (app, release, process, index): restarts since it last stayed up, and when the newest happened. */
type Streak = { count: number; lastAt: number };

/**
 * The Runtime port on one machine (ADR 0195): instances of every process type as podman containers (or
 * host processes), the web instances behind the built-in router with health-aware round robin. `apply`
 * converges: it starts what is missing (a new release, a dead instance after its crash back-off, a replica
 * added, an instance older than a restart), moves traffic only to web instances that answer, and then
 * removes what is no longer wanted, after the drain when it served traffic.
 */
export function localRuntime(deps: LocalRuntimeDeps): RuntimePort {
  const { engine, routes, settings } = deps;
  const now = settings.now ?? (() => Date.now());
  const streaks = new Map<string, Streak>();

  const appInstances = async (app: string) => (await engine.list()).filter((i) => i.appName === app);
  const stopAll = async (list: readonly Instance[], graceSeconds?: number) => {
    await Promise.all(
      list.map((i) => {
        deps.capture?.stop(i.key);
        return engine.stop(i.key, graceSeconds === undefined ? {} : { graceSeconds });
      }),
    );
  };
  const drain = () => new Promise((r) => setTimeout(r, settings.drainMs));
  const routeTo = (app: string, web: readonly Instance[]) => {
    const urls = web.filter((i) => i.running && i.upstream).map((i) => i.upstream);
    const [first] = urls;
    if (first !== undefined)
      routes.set(app, { kind: "upstream", url: first, ...(urls.length > 1 ? { urls } : {}) });
    return urls.length;
  };

  /** Starts one instance of `p` at `index`; for web, waits until it answers. */
  async function startOne(r: DesiredRelease, p: ProcessSpec, index: number): Promise<Instance | string> {
    const key = instanceKey(r.deploymentId, p.type, index);
    let started: Instance;
    try {
      started = await engine.start({
        key,
        deploymentId: r.deploymentId,
        appId: r.appId,
        appName: r.appName,
        process: p.type,
        index,
        image: r.image,
        command: p.command,
        port: p.type === "web" ? r.port : null,
        memory: p.memory,
        cpu: p.cpu,
        env: r.env,
      });
    } catch (error) {
      if (isKli8ntError(error) && error.code === "RELEASE_START_FAILED") return error.message;
      throw error;
    }
    // From the first line on, so an instance that crashes during its health check leaves its output behind.
    await deps.capture?.ensure({
      key,
      deploymentId: r.deploymentId,
      appId: r.appId,
      appName: r.appName,
      process: p.type,
      index,
    });
    if (p.type !== "web") return started;
    const health = await waitHealthy(started.upstream, r.port, {
      path: r.healthPath,
      timeoutMs: settings.healthTimeoutMs,
      status: () => engine.status(key),
    });
    if (health.ok) return started;
    const tail = await engine.logs(key, 5);
    deps.capture?.stop(key);
    await engine.stop(key);
    return `Health check failed: ${health.reason}${tail.length ? `. Last output: ${tail.join(" | ").slice(0, 1500)}` : ""}`;
  }

  /** Whether a dead slot may be started again now; else how long its crash back-off still lasts. */
  function backoffLeft(slot: string, died: boolean): number {
    if (!died) return 0;
    const streak = streaks.get(slot);
    if (!streak) return 0;
    const left =
      streak.lastAt + backoffDelay(streak.count, settings.crashBackoffMs, settings.crashBackoffMaxMs) - now();
    return Math.max(0, left);
  }

  /** Brings process `p` of the release to its count; returns the instances that now serve it. */
  async function convergeProcess(
    r: DesiredRelease,
    p: ProcessSpec,
    mine: readonly Instance[],
    pass: Pass,
  ): Promise<{ current: Instance[]; replaced: Instance[] }> {
    const restartedAt = r.restartedAt?.toISOString() ?? "";
    const current: Instance[] = [];
    const replaced: Instance[] = [];
    const starts: Array<Promise<void>> = [];
    for (let index = 0; index < p.count; index++) {
      const slot = slotOf(r.appName, r.deploymentId, p.type, index);
      const at = mine.filter((i) => i.process === p.type && i.index === index);
      const fresh = at.find((i) => i.running && i.startedAt >= restartedAt);
      if (fresh) {
        current.push(fresh);
        replaced.push(...at.filter((i) => i !== fresh));
        const unstableFor = forgetIfStable(slot, fresh);
        if (unstableFor > 0) {
          pass.recovering = true;
          pass.retryAfterMs = Math.min(pass.retryAfterMs ?? unstableFor, unstableFor);
        }
        continue;
      }
      const dead = at.find((i) => !i.running);
      const died = dead !== undefined;
      const wait = backoffLeft(slot, died);
      if (dead && wait > 0) {
        // The dead instance stays until its slot restarts: its exit code and output are the reason.
        pass.retryAfterMs = Math.min(pass.retryAfterMs ?? wait, wait);
        const next = (streaks.get(slot)?.count ?? 0) + 1;
        pass.problems.push(
          `${p.type}.${index + 1} ${await deathOf(dead)}; back-off ${Math.ceil(wait / 1000)} s before restart ${next}${await lastWords(dead)}`,
        );
        continue;
      }
      starts.push(
        startOne(r, p, index).then((started) => {
          // A rolling restart keeps the old instance serving until its replacement answers.
          const old = at.filter((i) => i.running);
          if (typeof started === "string") {
            pass.problems.push(`${p.type}.${index + 1}: ${started}`);
            current.push(...old);
            replaced.push(...at.filter((i) => !i.running));
          } else {
            current.push(started);
            replaced.push(...at);
          }
          if (died) {
            pass.restarted++;
            const s = streaks.get(slot);
            streaks.set(slot, { count: (s?.count ?? 0) + 1, lastAt: now() });
            pass.retryAfterMs = Math.min(pass.retryAfterMs ?? settings.stableMs, settings.stableMs);
          }
        }),
      );
    }
    await Promise.all(starts);
    replaced.push(...mine.filter((i) => i.process === p.type && i.index >= p.count));
    return { current, replaced };
  }

  /** How an instance died, for the crashed page and the degraded condition. */
  async function deathOf(i: Instance): Promise<string> {
    const status = await engine.status(i.key);
    return typeof status?.exitCode === "number" ? `exited with code ${status.exitCode}` : "exited";
  }

  async function lastWords(i: Instance): Promise<string> {
    const tail = (await engine.logs(i.key, 5)).join(" | ").slice(-1500);
    return tail ? `. Last output: ${tail}` : "";
  }

  /** Forgets the slot's crash streak once its instance stayed up; else how long until it has. */
  function forgetIfStable(slot: string, instance: Instance): number {
    const streak = streaks.get(slot);
    if (!streak) return 0;
    const up = now() - Math.max(streak.lastAt, Date.parse(instance.startedAt));
    if (up >= settings.stableMs) {
      streaks.delete(slot);
      return 0;
    }
    return settings.stableMs - up;
  }

  async function stop(r: DesiredRelease, all: readonly Instance[]): Promise<ApplyOutcome> {
    if (all.length === 0 && routes.get(r.appName)?.kind === "status") return { ok: true, url: null };
    routes.set(r.appName, {
      kind: "status",
      status: "stopped",
      message: "Every process of this app is scaled to 0.",
    });
    await stopAll(all);
    return { ok: true, url: null };
  }

  return {
    kind: engine.kind,
    isolated: engine.isolated,

    async apply(r) {
      const all = await appInstances(r.appName);
      if (r.stopped || r.processes.every((p) => p.count === 0)) return stop(r, all);
      const mine = all.filter((i) => i.deploymentId === r.deploymentId);
      const others = all.filter((i) => i.deploymentId !== r.deploymentId);
      const othersServe = others.some((i) => i.running && i.process === "web");
      const web = r.processes.find((p) => p.type === "web" && p.count > 0);
      if (
        web &&
        !mine.some((i) => i.process === "web" && i.running) &&
        routes.get(r.appName)?.kind !== "upstream"
      )
        routes.set(r.appName, { kind: "status", status: "building", message: "The release is starting" });
      const pass: Pass = { restarted: 0, recovering: false, retryAfterMs: null, problems: [] };
      // Web first: nothing else of a new release starts before it has answered.
      const webResult = web ? await convergeProcess(r, web, mine, pass) : { current: [], replaced: [] };
      const webDown = web !== undefined && webResult.current.length === 0;
      const reason = pass.problems.join("; ") || "No web instance answers";
      if (webDown && (mine.length === 0 || othersServe)) {
        // A new release that never answered: it never takes traffic, what served before keeps serving.
        await stopAll(mine);
        if (routes.get(r.appName)?.kind !== "upstream")
          routes.set(r.appName, {
            kind: "status",
            status: mine.length === 0 && others.length === 0 ? "no-release" : "crashed",
            message: reason,
          });
        return { ok: false, reason };
      }
      if (webDown) routes.set(r.appName, { kind: "status", status: "crashed", message: reason });
      else if (web) routeTo(r.appName, webResult.current);
      else
        routes.set(r.appName, {
          kind: "status",
          status: "no-release",
          message: "This app runs no web process (its Procfile has none, or web is scaled to 0).",
        });
      const rest = r.processes.filter((p) => p !== web && p.type !== "web");
      const results = await Promise.all(rest.map((p) => convergeProcess(r, p, mine, pass)));
      const wanted = new Set(r.processes.filter((p) => p.count > 0).map((p) => p.type));
      const unwanted = mine.filter((i) => !wanted.has(i.process));
      // A dead live web instance is kept while its slot waits out its back-off (its output is the reason).
      const replaced = [...webResult.replaced, ...results.flatMap((x) => x.replaced), ...unwanted].filter(
        (i) => !webDown || i.running || i.process !== "web",
      );
      const retiring = [...others, ...replaced];
      if (retiring.some((i) => i.running && i.process === "web")) await drain();
      await stopAll(retiring);
      if (others.length > 0)
        deps.logger.info(
          { app: r.appName, stopped: [...new Set(others.map((i) => i.deploymentId))] },
          "Stopped previous releases",
        );
      if (webDown) return { ok: false, reason };
      return {
        ok: true,
        url: web ? settings.appUrlTemplate.replaceAll("{app}", r.appName) : null,
        restarted: pass.restarted,
        ...(pass.recovering ? { recovering: true } : {}),
        ...(pass.problems.length ? { degraded: pass.problems.join("; ") } : {}),
        ...(pass.retryAfterMs === null ? {} : { retryAfterMs: pass.retryAfterMs }),
      };
    },

    async observe(appName): Promise<AppObservation> {
      const list = await appInstances(appName);
      const instances = await Promise.all(
        list.map(async (i) => {
          const streak = streaks.get(slotOf(appName, i.deploymentId, i.process, i.index));
          return {
            deploymentId: i.deploymentId,
            type: i.process,
            index: i.index,
            state: i.running ? ("running" as const) : streak ? ("restarting" as const) : ("crashed" as const),
            restarts: streak?.count ?? 0,
            lastOutput: i.running ? [] : await engine.logs(i.key, 5),
          };
        }),
      );
      return { appName, instances };
    },

    apps: async () => [...new Set((await engine.list()).map((i) => i.appName))],

    async remove(appName) {
      routes.delete(appName);
      // The app is gone and so is its route: no request waits for these answers, so no grace period.
      await stopAll(await appInstances(appName), 0);
      for (const slot of streaks.keys()) if (slot.startsWith(`${appName}/`)) streaks.delete(slot);
    },

    async runOnce(spec: OneOffSpec, signal?: AbortSignal): Promise<OneOffResult> {
      return engine.runOnce(
        {
          key: oneOffKey(spec.deploymentId, spec.phase, spec.runId),
          deploymentId: spec.deploymentId,
          appId: spec.appId,
          appName: spec.appName,
          image: spec.image,
          command: spec.command,
          memory: spec.memory,
          cpu: spec.cpu,
          env: spec.env,
          timeoutMs: spec.timeoutMs,
          onLine: (l) => spec.onLine(l.stream, l.line),
        },
        signal,
      );
    },
  };
}
