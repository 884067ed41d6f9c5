import { type PullRequestChange, pullRequestChange } from "./pull-request-event.ts";
import { verifyWebhookSignature } from "./webhook-signature.ts";

export type IncomingHeaders = Record<string, string | string[] | undefined>;

/** A push that may deploy: a branch moved to a new commit. */
export interface PushToBranch {
  repoId: number;
  repoFullName: string;
  branch: string;
  before: string;
  after: string;
  pusher: string;
}

export type WebhookReading =
  | { ok: false; reason: "bad-signature" | "missing-headers" | "bad-json" }
  | {
      ok: true;
      event: string;
      deliveryId: string;
      push?: PushToBranch;
      pullRequest?: PullRequestChange;
    };

function header(headers: IncomingHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === "string" && value !== "" ? value : undefined;
}

interface PushPayload {
  ref?: unknown;
  before?: unknown;
  after?: unknown;
  deleted?: unknown;
  repository?: { id?: unknown; full_name?: unknown };
  pusher?: { name?: unknown };
}

/** The deployable part of a `push` payload, or undefined for tags and branch deletions. */
export function pushToBranch(payload: unknown): PushToBranch | undefined {
  const p = (typeof payload === "object" && payload !== null ? payload : {}) as PushPayload;
  if (typeof p.ref !== "string" || !p.ref.startsWith("refs/heads/") || p.deleted === true) return undefined;
  if (typeof p.after !== "string" || !/^[0-9a-f]{40}$/.test(p.after) || /^0+$/.test(p.after))
    return undefined;
  if (typeof p.repository?.id !== "number" || typeof p.repository.full_name !== "string") return undefined;
  return {
    repoId: p.repository.id,
    repoFullName: p.repository.full_name,
    branch: p.ref.slice("refs/heads/".length),
    before: typeof p.before === "string" ? p.before : "",
    after: p.after,
    pusher: typeof p.pusher?.name === "string" ? p.pusher.name : "",
  };
}

/**
 * Checks and reads one webhook request: the signature over the raw body first (nothing is parsed before
 * it passes), then the event name and delivery id (the caller deduplicates on it), then for `push` the
 * branch and commit, for `pull_request` the pull request. Other events come back without `push` so the caller can answer 2xx and ignore them.
 */
export function readWebhook(
  secret: string,
  headers: IncomingHeaders,
  rawBody: string | Uint8Array,
): WebhookReading {
  if (!verifyWebhookSignature(secret, rawBody, headers["x-hub-signature-256"])) {
    return { ok: false, reason: "bad-signature" };
  }
  const event = header(headers, "x-github-event");
  const deliveryId = header(headers, "x-github-delivery");
  if (!event || !deliveryId) return { ok: false, reason: "missing-headers" };
  if (event !== "push" && event !== "pull_request") return { ok: true, event, deliveryId };
  let payload: unknown;
  try {
    payload = JSON.parse(typeof rawBody === "string" ? rawBody : Buffer.from(rawBody).toString("utf8"));
  } catch {
    return { ok: false, reason: "bad-json" };
  }
  if (event === "pull_request") {
    const pullRequest = pullRequestChange(payload);
    return pullRequest ? { ok: true, event, deliveryId, pullRequest } : { ok: true, event, deliveryId };
  }
  const push = pushToBranch(payload);
  return push ? { ok: true, event, deliveryId, push } : { ok: true, event, deliveryId };
}
