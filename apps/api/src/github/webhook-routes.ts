import { createHash } from "node:crypto";
import { createDeployment, findAppById, findGitHubHook, onceForDelivery } from "@kli8nt/db";
import { type PushToBranch, readWebhook, type WebhookReading } from "@kli8nt/github";
import type { FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ApiDeps } from "../deps.ts";
import { sendProblem } from "../plugins/problem-json.ts";
import { problemView } from "../schemas.ts";
import { syncGitHubDeploymentStatus } from "./deployment-status.ts";
import { WEBHOOK_PATH } from "./hook-sync.ts";
import { handlePullRequest } from "./previews/preview-webhook.ts";

// GitHub caps payloads at 25 MB; a push payload lists at most 20 commits, far below this.
const BODY_LIMIT = 5 * 1024 * 1024;

const REFUSALS = {
  "bad-signature": [401, "WEBHOOK_SIGNATURE_INVALID", "X-Hub-Signature-256 does not match the body"],
  "missing-headers": [400, "WEBHOOK_HEADERS_MISSING", "X-GitHub-Event and X-GitHub-Delivery are required"],
  "bad-json": [400, "WEBHOOK_BODY_MALFORMED", "The webhook body is not JSON"],
} as const;

const accepted = z.object({
  status: z.enum(["queued", "ignored", "duplicate"]),
  detail: z.string(),
  deploymentId: z.string().optional(),
});

/** The app a push may deploy: the one whose hook GitHub delivered through, on its repo and branch. */
async function appForPush(deps: ApiDeps, hookIdHeader: unknown, push: PushToBranch) {
  const hookId = Number(hookIdHeader);
  const hook = Number.isSafeInteger(hookId) ? await findGitHubHook(deps.db, hookId) : null;
  if (!hook || hook.repoFullName !== push.repoFullName.toLowerCase()) return null;
  const app = await findAppById(deps.db, hook.appId);
  return app && app.repository.branch === push.branch ? app : null;
}

type Answer = z.infer<typeof accepted>;

/** Queues the deployment a verified delivery asks for, once per delivery id and once per signed body. */
async function handlePush(
  deps: ApiDeps,
  request: FastifyRequest,
  reading: Extract<WebhookReading, { ok: true }>,
  body: Buffer,
): Promise<Answer> {
  const { event, deliveryId, push } = reading;
  const target = push ? await appForPush(deps, request.headers["x-github-hook-id"], push) : null;
  if (!push || !target) {
    const detail = push ? "No app deploys this repository and branch" : `Event ${event} needs no action`;
    return { status: "ignored", detail };
  }
  const bodyHash = createHash("sha256").update(body).digest("hex");
  const outcome = await onceForDelivery(deps.db, { id: deliveryId, event, bodyHash }, (tx) =>
    createDeployment(tx, target, { ref: push.branch, commitSha: push.after, trigger: "push" }),
  );
  if (outcome.duplicate) {
    return {
      status: "duplicate",
      detail: `Delivery ${deliveryId} (or the same signed body) was already handled`,
    };
  }
  deps.onOutboxWrite();
  const deployment = outcome.result;
  deps.events?.deploymentChanged(deployment.id);
  request.log.info(
    { deploymentId: deployment.id, app: target.name, deliveryId },
    "Queued deployment from push",
  );
  void syncGitHubDeploymentStatus({ ...deps, logger: request.log }, deployment);
  return { status: "queued", detail: `Deploying ${push.after}`, deploymentId: deployment.id };
}

function handleDelivery(
  deps: ApiDeps,
  request: FastifyRequest,
  reading: Extract<WebhookReading, { ok: true }>,
  body: Buffer,
): Promise<Answer> {
  const { pullRequest } = reading;
  return pullRequest
    ? handlePullRequest(deps, request, { ...reading, pullRequest }, body)
    : handlePush(deps, request, reading, body);
}

/**
 * `POST /api/github/webhook`: no session (GitHub calls it), so the HMAC over the raw body is the only
 * gate, checked before anything is parsed. A push to an app's branch queues a deployment and answers 202
 * at once; the build runs later. Deliveries are deduplicated on X-GitHub-Delivery and on the SHA-256 of
 * the signed body, so a captured delivery replayed under a new id deploys nothing.
 */
export function githubWebhookRoutes(deps: ApiDeps): FastifyPluginAsyncZod {
  return async (app) => {
    // The signature covers the exact bytes: keep them, in this scope only.
    app.removeContentTypeParser("application/json");
    app.addContentTypeParser(
      "application/json",
      { parseAs: "buffer", bodyLimit: BODY_LIMIT },
      (_r, body, done) => done(null, body),
    );
    app.post(
      WEBHOOK_PATH,
      {
        bodyLimit: BODY_LIMIT,
        schema: {
          tags: ["github"],
          summary:
            "GitHub webhook receiver (push-to-deploy, pull request previews); signed with KLI8NT_GITHUB_WEBHOOK_SECRET",
          security: [],
          response: { 200: accepted, 202: accepted, 400: problemView, 401: problemView, 404: problemView },
        },
      },
      async (request, reply) => {
        const secret = deps.config.github.webhookSecret;
        if (!secret) {
          return sendProblem(
            reply,
            request,
            404,
            "GITHUB_WEBHOOKS_NOT_CONFIGURED",
            "Set KLI8NT_GITHUB_WEBHOOK_SECRET",
          );
        }
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const reading = readWebhook(secret, request.headers, body);
        if (!reading.ok) {
          const [status, code, detail] = REFUSALS[reading.reason];
          request.log.warn({ reason: reading.reason, ip: request.ip }, "Refused GitHub webhook");
          return sendProblem(reply, request, status, code, detail);
        }
        const answer = await handleDelivery(deps, request, reading, body);
        return reply.code(answer.status === "duplicate" ? 200 : 202).send(answer);
      },
    );
  };
}
