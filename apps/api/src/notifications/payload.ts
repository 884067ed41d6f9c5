import type { Deployment } from "@kli8nt/core";

/**
 * What receivers get for a deployment event: names, states, the reason and the public URL, never an
 * environment value, token or image credential (ADR 0186).
 */
export function deploymentPayload(
  event: string,
  app: { readonly name: string },
  deployment: Deployment,
  occurredAt: Date,
  detail?: string,
): Record<string, unknown> {
  return {
    event,
    occurredAt: occurredAt.toISOString(),
    app: { name: app.name },
    deployment: {
      id: deployment.id,
      number: deployment.number,
      state: deployment.state,
      trigger: deployment.trigger,
      ref: deployment.ref,
      commitSha: deployment.commitSha,
      url: deployment.url,
      reason: deployment.reason,
    },
    ...(detail ? { detail } : {}),
  };
}

const str = (v: unknown) => (typeof v === "string" ? v : "");
const suffix = (sep: string, v: unknown) => (str(v) ? `${sep}${str(v)}` : "");

interface SummaryParts {
  readonly app: string;
  readonly version: string;
  readonly url: unknown;
  readonly reason: unknown;
  readonly detail: unknown;
}

const SUMMARIES: Record<string, (p: SummaryParts) => string> = {
  "deploy.live": (p) => `${p.app}${p.version} is live${suffix(" at ", p.url)}`,
  "deploy.failed": (p) => `${p.app}${p.version} failed to deploy${suffix(": ", p.reason)}`,
  "app.crashed": (p) => `${p.app}${p.version} is crash-looping${suffix(": ", p.detail)}`,
  "domain.error": (p) => `${p.app}: a domain has an error${suffix(": ", p.detail)}`,
  "addon.backup_failed": (p) => `${p.app}: an add-on backup failed${suffix(": ", p.detail)}`,
};

/** One line for Slack and e-mail subjects: "my-app v12 is live at https://…". */
export function summaryOf(event: string, payload: Record<string, unknown>): string {
  const d = (payload.deployment ?? {}) as { number?: unknown; url?: unknown; reason?: unknown };
  const parts: SummaryParts = {
    app: str((payload.app as { name?: unknown } | null | undefined)?.name) || "an app",
    version: typeof d.number === "number" ? ` v${d.number}` : "",
    url: d.url,
    reason: d.reason,
    detail: payload.detail,
  };
  return SUMMARIES[event]?.(parts) ?? `Test notification from Kli8nt for ${parts.app}`;
}
