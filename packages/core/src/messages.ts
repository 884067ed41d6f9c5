import { z } from "zod";
import { DEPLOYMENT_STATES } from "./deployment-state.ts";
import { InputError } from "./errors.ts";

/**
 * Versioned contracts of the three queues. Messages never carry secrets: a clone token is fetched by the
 * build controller over an authenticated internal call. Consumers must accept redelivery of any message.
 */
export const QUEUES = { build: "BUILD", deploy: "DEPLOY", inform: "INFORM", app: "APP" } as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

const id = z.string().min(1).max(64);
/** A process type name as Procfiles write them (`web`, `worker`, `clock`), usable in container names. */
export const PROCESS_TYPE = /^[a-z][a-z0-9-]{0,29}$/;
const timestamp = z.iso.datetime();
/**
 * An app's name as messages carry it: a user's app is at most 40 characters, a pull request preview's
 * `<app>-pr-<n>` up to 40 + 14 (ADR 0202), so a DNS label's 63 is the bound.
 */
const appName = z.string().min(1).max(63);

export const buildRequestedV1 = z.strictObject({
  type: z.literal("BuildRequested"),
  version: z.literal(1),
  deploymentId: id,
  appId: id,
  appName,
  repository: z.strictObject({
    url: z.string().min(1).max(2048),
    ref: z.string().min(1).max(255),
    commitSha: z
      .string()
      .regex(/^[0-9a-f]{40}$/)
      .nullable(),
    rootDir: z.string().max(255),
  }),
  requestedAt: timestamp,
});
export type BuildRequested = z.infer<typeof buildRequestedV1>;

export const deployRequestedV1 = z.strictObject({
  type: z.literal("DeployRequested"),
  version: z.literal(1),
  deploymentId: id,
  appId: id,
  appName,
  /** Image by digest (Kubernetes) or local image id (single machine); never a moving tag. */
  image: z.string().min(1).max(512),
  port: z.number().int().min(1).max(65535),
  /**
   * The release's process types (Procfile entries but `release`; `web` included when it serves HTTP) →
   * their command, or null for the image's own CMD. Absent in messages from before process types: `web`.
   */
  processes: z
    .record(z.string().regex(PROCESS_TYPE), z.string().min(1).max(2000).nullable())
    .refine((p) => Object.keys(p).length <= 16, { message: "at most 16 process types" })
    .optional(),
  /** Run once in a container of the new image before it takes traffic (migrations); null: none. */
  releaseCommand: z.string().min(1).max(2000).nullable().optional(),
  requestedAt: timestamp,
});
export type DeployRequested = z.infer<typeof deployRequestedV1>;

/** The step a progress report belongs to; handlers are idempotent on (deploymentId, step). */
export const PROGRESS_STEPS = ["build", "deploy"] as const;

export const deploymentProgressV1 = z.strictObject({
  type: z.literal("DeploymentProgress"),
  version: z.literal(1),
  deploymentId: id,
  appId: id,
  step: z.enum(PROGRESS_STEPS),
  state: z.enum(DEPLOYMENT_STATES),
  reason: z.string().max(4096).nullable(),
  url: z.string().max(2048).nullable(),
  image: z.string().max(512).nullable(),
  commitSha: z
    .string()
    .regex(/^[0-9a-f]{40}$/)
    .nullable(),
  at: timestamp,
});
export type DeploymentProgress = z.infer<typeof deploymentProgressV1>;

/**
 * Something the user asked of a running app changed (formation, restart, stop/start, cron, env, custom
 * domains): the controllers only enqueue the app's key and converge on what the database says.
 */
export const appChangedV1 = z.strictObject({
  type: z.literal("AppChanged"),
  version: z.literal(1),
  appId: id,
  appName,
  what: z.enum(["formation", "restart", "stop", "start", "cron", "env", "settings", "domains"]),
  at: timestamp,
});
export type AppChanged = z.infer<typeof appChangedV1>;

export const MESSAGE_SCHEMAS = {
  BUILD: buildRequestedV1,
  DEPLOY: deployRequestedV1,
  INFORM: deploymentProgressV1,
  APP: appChangedV1,
} as const;

export type MessageOf<Q extends QueueName> = z.infer<(typeof MESSAGE_SCHEMAS)[Q]>;

/** Validates a message body for a queue; throws MESSAGE_INVALID (dead-letter material) with the issues. */
export function parseMessage<Q extends QueueName>(queue: Q, body: unknown): MessageOf<Q> {
  const result = MESSAGE_SCHEMAS[queue].safeParse(body);
  if (result.success) return result.data as MessageOf<Q>;
  throw new InputError("MESSAGE_INVALID", `Message on ${queue} does not match its contract`, {
    issues: result.error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message })),
  });
}

/**
 * The transport `type` of a message body, e.g. `BuildRequested.v1` (an AMQP property operators see in the
 * broker's UI and dead-letter queues); the queue's name for a body that names no type.
 */
export function messageTypeOf(body: unknown, queue: string): string {
  const b = body as { type?: unknown; version?: unknown } | null;
  return typeof b?.type === "string" ? `${b.type}.v${String(b.version ?? 1)}` : queue;
}
