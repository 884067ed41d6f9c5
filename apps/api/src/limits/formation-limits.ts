import {
  DEFAULT_FORMATION,
  type FormationDefaults,
  NotAllowedError,
  type ProcessFormation,
} from "@kli8nt/core";
import { z } from "zod";
import {
  CPU_RANGE_MILLI,
  cpuMillis,
  cpuProblem,
  formatMiB,
  MEMORY_RANGE_MIB,
  memoryMiB,
  memoryProblem,
} from "./quantities.ts";

/** What the platform lets users run (ADR 0190), from KLI8NT_MAX_* and KLI8NT_DEFAULT_* settings. */
export interface FormationConfig {
  readonly defaults: FormationDefaults;
  readonly instancesPerApp: number;
  readonly instancesPerUser: number;
  /** All apps of all users together: what the cluster (or machine) is sized for. */
  readonly instancesTotal: number;
  readonly memoryPerInstanceMiB: number;
  readonly cpuPerInstanceMillis: number;
  readonly cronJobsPerApp: number;
}

export interface InstanceCount {
  readonly appId: string;
  readonly ownerId: string;
  readonly instances: number;
}

const sum = (list: readonly { instances: number }[]) => list.reduce((n, c) => n + c.instances, 0);

function refuse(code: string, message: string, details: Record<string, unknown>): never {
  throw new NotAllowedError(code, message, { details });
}

/** Sizes above the per-instance maximum the administrator set (the schema already kept them in range). */
export function assertSizes(processes: readonly ProcessFormation[], config: FormationConfig): void {
  for (const p of processes) {
    if ((memoryMiB(p.memory) ?? 0) > config.memoryPerInstanceMiB) {
      refuse(
        "FORMATION_LIMIT",
        `${p.type}: memory ${p.memory} is above the ${formatMiB(config.memoryPerInstanceMiB)} an instance may have on this platform (KLI8NT_MAX_INSTANCE_MEMORY)`,
        { type: p.type, limit: formatMiB(config.memoryPerInstanceMiB) },
      );
    }
    if ((cpuMillis(p.cpu) ?? 0) > config.cpuPerInstanceMillis) {
      refuse(
        "FORMATION_LIMIT",
        `${p.type}: CPU ${p.cpu} is above the ${config.cpuPerInstanceMillis}m an instance may have on this platform (KLI8NT_MAX_INSTANCE_CPU)`,
        { type: p.type, limit: `${config.cpuPerInstanceMillis}m` },
      );
    }
  }
}

/**
 * Refuses a change that would take this app, its owner or the whole platform over its instance limit.
 * Only growth is refused: an app already over a limit that was lowered may still scale down.
 */
export function assertInstanceLimits(
  app: { readonly id: string; readonly ownerId: string },
  after: number,
  counts: readonly InstanceCount[],
  config: FormationConfig,
): void {
  const before = counts.find((c) => c.appId === app.id)?.instances ?? 0;
  if (after <= before) return;
  const others = counts.filter((c) => c.appId !== app.id);
  if (after > config.instancesPerApp) {
    refuse(
      "FORMATION_LIMIT",
      `This would run ${after} instances of the app and the limit is ${config.instancesPerApp} per app (KLI8NT_MAX_INSTANCES_PER_APP)`,
      { limit: config.instancesPerApp, requested: after },
    );
  }
  const mine = sum(others.filter((c) => c.ownerId === app.ownerId)) + after;
  if (mine > config.instancesPerUser) {
    refuse(
      "FORMATION_LIMIT",
      `This would run ${mine} instances across your apps and the limit is ${config.instancesPerUser} per user (KLI8NT_MAX_INSTANCES_PER_USER); scale another app down or stop it first`,
      { limit: config.instancesPerUser, requested: mine },
    );
  }
  const total = sum(others) + after;
  if (total > config.instancesTotal) {
    refuse(
      "PLATFORM_CAPACITY",
      `The platform runs at most ${config.instancesTotal} instances in all (KLI8NT_MAX_INSTANCES) and this would make ${total}; ask the administrator for room`,
      { limit: config.instancesTotal },
    );
  }
}

const count = (min: number, fallback: number) =>
  z.coerce.number().int().min(min).max(100_000).default(fallback);
const memorySetting = (name: string, fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine((v) => memoryProblem(v) === null, { message: `${name} is a size from 128Mi to 8Gi, like 512Mi` });
const cpuSetting = (name: string, fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine((v) => cpuProblem(v) === null, { message: `${name} is 0.1 to 4 cores, like 0.5 or 500m` });

/** The KLI8NT_* settings of formations and cron jobs, spread into the api's config schema. */
export const formationEnv = {
  // Sizes of a process type the user did not size (the deploy controller reads the same two).
  KLI8NT_DEFAULT_INSTANCE_MEMORY: memorySetting("KLI8NT_DEFAULT_INSTANCE_MEMORY", DEFAULT_FORMATION.memory),
  KLI8NT_DEFAULT_INSTANCE_CPU: cpuSetting("KLI8NT_DEFAULT_INSTANCE_CPU", DEFAULT_FORMATION.cpu),
  KLI8NT_MAX_INSTANCES_PER_APP: count(1, 10),
  KLI8NT_MAX_INSTANCES_PER_USER: count(1, 50),
  KLI8NT_MAX_INSTANCES: count(1, 1000),
  KLI8NT_MAX_INSTANCE_MEMORY: memorySetting("KLI8NT_MAX_INSTANCE_MEMORY", "8Gi"),
  KLI8NT_MAX_INSTANCE_CPU: cpuSetting("KLI8NT_MAX_INSTANCE_CPU", "4"),
  KLI8NT_MAX_CRON_JOBS_PER_APP: count(0, 20),
};

type FormationEnv = z.output<z.ZodObject<typeof formationEnv>>;

export function formationConfigOf(env: FormationEnv): FormationConfig {
  return {
    defaults: {
      count: DEFAULT_FORMATION.count,
      memory: env.KLI8NT_DEFAULT_INSTANCE_MEMORY,
      cpu: env.KLI8NT_DEFAULT_INSTANCE_CPU,
    },
    instancesPerApp: env.KLI8NT_MAX_INSTANCES_PER_APP,
    instancesPerUser: env.KLI8NT_MAX_INSTANCES_PER_USER,
    instancesTotal: env.KLI8NT_MAX_INSTANCES,
    memoryPerInstanceMiB: memoryMiB(env.KLI8NT_MAX_INSTANCE_MEMORY) ?? MEMORY_RANGE_MIB.max,
    cpuPerInstanceMillis: cpuMillis(env.KLI8NT_MAX_INSTANCE_CPU) ?? CPU_RANGE_MILLI.max,
    cronJobsPerApp: env.KLI8NT_MAX_CRON_JOBS_PER_APP,
  };
}
