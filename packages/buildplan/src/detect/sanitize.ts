import type { BuildPlan } from "../types.ts";

/** A relative path that can go into a Dockerfile COPY unquoted: no spaces, no `..`, not absolute. */
const SAFE_PATH = /^(?!\/)(?!.*\.\.)[\w.@/+-]+$/;

function oneLine(cmd: string, what: string, warnings: string[]): boolean {
  if (!/[\r\n]/.test(cmd)) return true;
  warnings.push(`ignored ${what}: a command must be a single line`);
  return false;
}

/**
 * Last check before rendering: values read from the repository (config files, kli8nt.json) must not be able to
 * break the Dockerfile's structure, e.g. a newline in a command starting a new instruction.
 */
export function sanitizePlan(plan: BuildPlan): BuildPlan {
  const w = plan.warnings;
  plan.install = plan.install.filter((c) => oneLine(c, "install command", w));
  plan.build = plan.build.filter((c) => oneLine(c, "build command", w));
  if (plan.start !== null && !oneLine(plan.start, "start command", w)) plan.start = null;
  if (plan.releaseCommand !== null && !oneLine(plan.releaseCommand, "release command", w))
    plan.releaseCommand = null;
  plan.processes = Object.fromEntries(
    Object.entries(plan.processes).filter(([n, c]) => oneLine(c, `process ${n}`, w)),
  );
  if (
    plan.staticOutputDir !== null &&
    plan.staticOutputDir !== "." &&
    !SAFE_PATH.test(plan.staticOutputDir)
  ) {
    w.push(
      `ignored static output directory "${plan.staticOutputDir}": not a plain relative path; using dist`,
    );
    plan.staticOutputDir = "dist";
  }
  return plan;
}
