import { PROCESS_TYPE } from "@kli8nt/core";
import type { BuildPlan } from "./types.ts";

/**
 * The process types a release runs (DeployRequested.processes): `web` with the image's own command when the
 * plan serves HTTP (or declares nothing else), then every other Procfile process with its command. Names are
 * normalised to what containers and Kubernetes objects accept (`Worker_1` → `worker-1`); others are dropped.
 */
export function processTypes(plan: Pick<BuildPlan, "port" | "processes">): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  const others = Object.entries(plan.processes).filter(([, command]) => command.trim() !== "");
  if (plan.port !== null || others.length === 0) out.web = null;
  for (const [name, command] of others) {
    const type = name.toLowerCase().replaceAll("_", "-");
    if (type === "web" || type === "release" || type in out || !PROCESS_TYPE.test(type)) continue;
    out[type] = command;
  }
  return out;
}
