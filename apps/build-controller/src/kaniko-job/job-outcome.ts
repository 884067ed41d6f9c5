import { PROCESS_TYPE } from "@kli8nt/core";
import type { V1ContainerStatus, V1Job, V1Pod } from "@kubernetes/client-node";
import type { PlanFacts } from "../builder.ts";
import { KANIKO_CONTAINER, PREPARE_CONTAINER } from "./build-names.ts";

/** What the prepare step reports in its termination message (JSON): the plan's facts and the commit. */
export interface PreparedPlan extends PlanFacts {
  readonly commitSha: string | null;
}

/** Only what DeployRequested accepts: names it can carry, single-line commands of bounded length. */
function processesOf(value: unknown): Record<string, string | null> | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const entries = Object.entries(value).filter(
    ([name, cmd]) =>
      PROCESS_TYPE.test(name) && (cmd === null || (typeof cmd === "string" && cmd.length <= 2000)),
  );
  return entries.length > 0 && entries.length <= 16 ? Object.fromEntries(entries) : undefined;
}

export type JobOutcome =
  | { readonly kind: "running" }
  | { readonly kind: "succeeded"; readonly image: string; readonly plan: PreparedPlan | null }
  | { readonly kind: "failed"; readonly reason: string; readonly timedOut?: true };

const IMAGE_WITH_DIGEST = /^([^\s@]+)@(sha256:[0-9a-f]{64})$/;

/**
 * `repo[:tag]@sha256:…` → `repo@sha256:…` when repo is the expected one (a tag colon comes after the
 * last slash; a registry port's colon comes before it).
 */
export function pinnedImage(message: string, expectedRepository: string): string | undefined {
  const match = IMAGE_WITH_DIGEST.exec(message.trim());
  if (!match?.[1] || !match[2]) return undefined;
  const name = match[1];
  const colon = name.lastIndexOf(":");
  const repository = colon > name.lastIndexOf("/") ? name.slice(0, colon) : name;
  return repository === expectedRepository ? `${repository}@${match[2]}` : undefined;
}

function condition(job: V1Job, type: string): { reason?: string; message?: string } | undefined {
  return job.status?.conditions?.find((c) => c.type === type && c.status === "True");
}

function terminated(statuses: V1ContainerStatus[] | undefined, name: string) {
  return statuses?.find((s) => s.name === name)?.state?.terminated;
}

/** Last lines of a termination message (Kaniko falls back to the log tail): enough to say why. */
function tail(text: string, lines = 8): string {
  return text.trim().split("\n").slice(-lines).join("\n");
}

function failedContainer(pod: V1Pod | undefined): string | undefined {
  const steps: Array<[string, V1ContainerStatus[] | undefined, string]> = [
    [PREPARE_CONTAINER, pod?.status?.initContainerStatuses, "Preparing the build"],
    [KANIKO_CONTAINER, pod?.status?.containerStatuses, "Building the image"],
  ];
  for (const [name, statuses, what] of steps) {
    const state = terminated(statuses, name);
    if (state && state.exitCode !== 0) {
      const detail = state.message ? `: ${tail(state.message)}` : "";
      return `${what} failed (exit code ${state.exitCode})${detail}`;
    }
  }
  return undefined;
}

export function parsePlan(message: string | undefined): PreparedPlan | null {
  if (!message) return null;
  try {
    const value = JSON.parse(message) as Partial<PreparedPlan>;
    const processes = processesOf(value.processes);
    const release = value.releaseCommand;
    return {
      ...(processes ? { processes } : {}),
      ...(typeof release === "string" && release.length > 0 && release.length <= 2000
        ? { releaseCommand: release }
        : {}),
      provider: typeof value.provider === "string" ? value.provider : "unknown",
      port: typeof value.port === "number" ? value.port : null,
      commitSha:
        typeof value.commitSha === "string" && /^[0-9a-f]{40}$/.test(value.commitSha)
          ? value.commitSha
          : null,
    };
  } catch {
    // An old or foreign prepare image: the build still counts, the port falls back to the default.
    return null;
  }
}

/**
 * Reads a Job and its pod into one outcome. Success needs Kaniko's `image@sha256:…` termination message;
 * a Job that completed without one is a failure, because deploying a tag would not be reproducible.
 */
export function jobOutcome(job: V1Job, pod: V1Pod | undefined, expectedRepository: string): JobOutcome {
  const failed = condition(job, "Failed") ?? condition(job, "FailureTarget");
  if (failed) {
    if (failed.reason === "DeadlineExceeded") {
      const reason = `The build took longer than ${job.spec?.activeDeadlineSeconds} s`;
      return { kind: "failed", reason, timedOut: true };
    }
    return {
      kind: "failed",
      reason: failedContainer(pod) ?? failed.message ?? failed.reason ?? "The build failed",
    };
  }
  if (!condition(job, "Complete") && !condition(job, "SuccessCriteriaMet")) return { kind: "running" };
  const message = terminated(pod?.status?.containerStatuses, KANIKO_CONTAINER)?.message ?? "";
  const image = pinnedImage(message, expectedRepository);
  if (!image) {
    return { kind: "failed", reason: "The build finished without reporting the pushed image digest" };
  }
  const plan = parsePlan(terminated(pod?.status?.initContainerStatuses, PREPARE_CONTAINER)?.message);
  return { kind: "succeeded", image, plan };
}
