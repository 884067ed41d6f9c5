import type { BuildSettings } from "@kli8nt/core";
import { sql } from "drizzle-orm";
import {
  type AnyPgColumn,
  bigint,
  bigserial,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

/** What `PATCH /api/apps/:name` `previews` stores (ADR 0200). */
/** A torn-down preview whose logs (keyed by its app id) are kept until `closedAt` + the retention. */
export interface ClosedPreview {
  readonly number: number;
  readonly appId: string;
  readonly app: string;
  readonly title: string;
  readonly closedAt: string;
}

export interface PreviewSettings {
  readonly mode: "off" | "all" | "label";
  readonly label: string;
  readonly max: number;
  readonly allowForks: boolean;
  /** Plain values previews get over the app's own (preview-only secrets are env vars with `preview: "only"`). */
  readonly env: Readonly<Record<string, string>>;
  /** With a Postgres add-on, each preview's own database starts empty or as a copy of the app's (ADR 0201). */
  readonly database?: "empty" | "copy";
  /** Days a closed preview's logs are kept (ADR 0203); 7 when absent, 0 removes them at teardown. */
  readonly logRetentionDays?: number;
  /**
   * Previews torn down whose logs are still kept: state, not a setting, kept here for want of a column
   * (ADR 0203); never shown in, nor changed by, the settings API.
   */
  readonly closed?: readonly ClosedPreview[];
}

/** What `PATCH /api/apps/:name/formation` stores per process type; absent fields use the defaults. */
export type FormationSettings = Record<
  string,
  { readonly count?: number; readonly memory?: string; readonly cpu?: string }
>;

const stamp = (name: string) => timestamp(name, { withTimezone: true, mode: "date" }).notNull().defaultNow();
const createdAt = () => stamp("created_at");
const updatedAt = () => stamp("updated_at");
const at = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

export const users = pgTable("users", {
  id: text("id").primaryKey(),
  login: text("login").notNull().unique(),
  name: text("name"),
  avatarUrl: text("avatar_url"),
  isAdmin: boolean("is_admin").notNull().default(false),
  createdAt: createdAt(),
});

/** OAuth tokens are stored encrypted (AES-256-GCM, see secret-box.ts), never in clear. */
export const githubAccounts = pgTable("github_accounts", {
  userId: text("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  githubId: bigint("github_id", { mode: "number" }).notNull().unique(),
  login: text("login").notNull(),
  scopes: text("scopes").array().notNull().default(sql`'{}'::text[]`),
  accessTokenEnc: text("access_token_enc").notNull(),
  refreshTokenEnc: text("refresh_token_enc"),
  tokenExpiresAt: at("token_expires_at"),
  tokenValid: boolean("token_valid").notNull().default(true),
  updatedAt: updatedAt(),
});

/** API tokens and browser sessions are looked up by the SHA-256 of their random value. */
export const apiTokens = pgTable("api_tokens", {
  id: text("id").primaryKey(),
  userId: text("user_id")
    .notNull()
    .references(() => users.id, { onDelete: "cascade" }),
  name: text("name").notNull(),
  prefix: text("prefix").notNull(),
  tokenHash: text("token_hash").notNull().unique(),
  createdAt: createdAt(),
  lastUsedAt: at("last_used_at"),
  /** Null means the token never expires (ADR 0165). */
  expiresAt: at("expires_at"),
  revokedAt: at("revoked_at"),
});

export const sessions = pgTable("sessions", {
  idHash: text("id_hash").primaryKey(),
  userId: text("user_id")
    .notNull()
    .references(() => users.id, { onDelete: "cascade" }),
  createdAt: createdAt(),
  expiresAt: at("expires_at").notNull(),
});

/** One-time sign-in links printed by `npm start` when no GitHub OAuth app is configured. */
export const signInLinks = pgTable("sign_in_links", {
  tokenHash: text("token_hash").primaryKey(),
  userId: text("user_id")
    .notNull()
    .references(() => users.id, { onDelete: "cascade" }),
  expiresAt: at("expires_at").notNull(),
  usedAt: at("used_at"),
});

export const apps = pgTable(
  "apps",
  {
    id: text("id").primaryKey(),
    ownerId: text("owner_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    // Unique across users: the name is the app's public subdomain.
    name: text("name").notNull().unique(),
    repoUrl: text("repo_url").notNull(),
    branch: text("branch").notNull(),
    rootDir: text("root_dir").notNull().default("."),
    port: integer("port"),
    // Plan overrides (install/build/start commands, Dockerfile path, target, health-check path): one
    // document, since they are read and written together and none is queried on.
    buildSettings: jsonb("build_settings").$type<BuildSettings>().notNull().default(sql`'{}'::jsonb`),
    // Process type → count and size the user asked for (`PATCH …/formation`); absent types use the defaults.
    formation: jsonb("formation").$type<FormationSettings>().notNull().default(sql`'{}'::jsonb`),
    // `POST …/stop` scales every process to 0 without forgetting the formation; `start` clears it.
    stopped: boolean("stopped").notNull().default(false),
    // `POST …/restart` sets it: instances started before it are replaced, one at a time.
    restartedAt: at("restarted_at"),
    // Pull request previews of this app (`PATCH /api/apps/:name` `previews`, ADR 0200); absent means off.
    previews: jsonb("previews").$type<PreviewSettings>(),
    // Set on a preview's own app row: the app it previews. Previews go with their app.
    previewOf: text("preview_of").references((): AnyPgColumn => apps.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("apps_owner_idx").on(t.ownerId, t.name), index("apps_preview_of_idx").on(t.previewOf)],
);

/** The pull request a preview app deploys (ADR 0200); one row per preview app, keyed by it. */
export const appPreviews = pgTable(
  "app_previews",
  {
    appId: text("app_id")
      .primaryKey()
      .references(() => apps.id, { onDelete: "cascade" }),
    parentId: text("parent_id")
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    prNumber: integer("pr_number").notNull(),
    title: text("title").notNull(),
    prUrl: text("pr_url").notNull(),
    headRepo: text("head_repo").notNull(),
    headRef: text("head_ref").notNull(),
    headSha: text("head_sha").notNull(),
    fork: boolean("fork").notNull().default(false),
    // The one pull request comment Kli8nt keeps up to date (edited in place on each push).
    commentId: bigint("comment_id", { mode: "number" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("app_previews_pr_idx").on(t.parentId, t.prNumber)],
);

/** Secret values are encrypted; plain values are stored as given. */
export const envVars = pgTable(
  "env_vars",
  {
    appId: text("app_id")
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    value: text("value").notNull(),
    secret: boolean("secret").notNull(),
    /** Also given to the build: as a build arg, or as a build secret when secret (never in a layer). */
    build: boolean("build").notNull().default(false),
    // Pull request previews (ADR 0200): "include" (default), "exclude" (`preview: false`), or "only" (an
    // override that previews get and the app itself does not).
    preview: text("preview").$type<"include" | "exclude" | "only">().notNull().default("include"),
  },
  (t) => [primaryKey({ columns: [t.appId, t.key] })],
);

export const deployments = pgTable(
  "deployments",
  {
    id: text("id").primaryKey(),
    appId: text("app_id")
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    number: integer("number").notNull(),
    state: text("state").notNull(),
    trigger: text("trigger").notNull(),
    ref: text("ref").notNull(),
    commitSha: text("commit_sha"),
    image: text("image"),
    rollbackOf: text("rollback_of"),
    url: text("url"),
    reason: text("reason"),
    // The port the release listens on, fixed when it is deployed so rollbacks and restarts reuse it.
    port: integer("port"),
    // The release's process types → command (null: the image's CMD), fixed with its image.
    processes: jsonb("processes").$type<Record<string, string | null>>(),
    // Run once before the release takes traffic (migrations); null: none. A rollback does not run it again.
    releaseCommand: text("release_command"),
    // How often the runtime restarted this release after it died (local mode heals crashed containers).
    restarts: integer("restarts").notNull().default(0),
    // Status conditions (building, deploying, available, degraded) with reasons, as the controllers saw them.
    conditions: jsonb("conditions").notNull().default(sql`'[]'::jsonb`),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    finishedAt: at("finished_at"),
  },
  (t) => [
    uniqueIndex("deployments_app_number_idx").on(t.appId, t.number),
    index("deployments_app_created_idx").on(t.appId, t.createdAt),
  ],
);

/**
 * Transactional outbox: a message row is written in the same transaction as the state change it announces
 * and published by the relay after commit, so a committed change is always published and a rolled-back one
 * never is.
 */
export const outbox = pgTable(
  "outbox",
  {
    seq: bigserial("seq", { mode: "number" }).primaryKey(),
    messageId: text("message_id").notNull().unique(),
    queue: text("queue").notNull(),
    payload: jsonb("payload").notNull(),
    createdAt: createdAt(),
    publishedAt: at("published_at"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
  },
  (t) => [index("outbox_unpublished_idx").on(t.seq).where(sql`${t.publishedAt} is null`)],
);

/** Idempotence ledger: a handler records (deploymentId, step) in the transaction that applies its effect. */
export const processedSteps = pgTable(
  "processed_steps",
  {
    deploymentId: text("deployment_id").notNull(),
    step: text("step").notNull(),
    processedAt: stamp("processed_at"),
  },
  (t) => [primaryKey({ columns: [t.deploymentId, t.step] })],
);

/**
 * A pending GitHub sign-in: keyed by the hash of a short-lived pre-session cookie, holding the `state` and
 * the (encrypted) PKCE verifier server-side; consumed once by the callback.
 */
export const githubOauthStates = pgTable("github_oauth_states", {
  bindingHash: text("binding_hash").primaryKey(),
  state: text("state").notNull(),
  codeVerifierEnc: text("code_verifier_enc").notNull(),
  // A signed-in user connecting GitHub links the account to themselves instead of signing in.
  linkUserId: text("link_user_id").references(() => users.id, { onDelete: "cascade" }),
  expiresAt: at("expires_at").notNull(),
  usedAt: at("used_at"),
});

/**
 * The push webhook Kli8nt created for an app. No foreign key to apps on purpose: a row whose app is gone
 * tells the hook reconciler to delete the hook on GitHub.
 */
export const githubHooks = pgTable(
  "github_hooks",
  {
    appId: text("app_id").primaryKey(),
    userId: text("user_id").notNull(),
    repoFullName: text("repo_full_name").notNull(),
    hookId: bigint("hook_id", { mode: "number" }),
    // The events the hook was made with: an older hook without `pull_request` is updated on the next sync.
    events: text("events").array().notNull().default(sql`'{push}'::text[]`),
    lastError: text("last_error"),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("github_hooks_hook_idx").on(t.hookId)],
);

/** Webhook deliveries already handled, by `X-GitHub-Delivery`: a redelivery deploys nothing twice. */
export const githubDeliveries = pgTable("github_deliveries", {
  deliveryId: text("delivery_id").primaryKey(),
  event: text("event").notNull(),
  receivedAt: stamp("received_at"),
});

/** The GitHub Deployment mirroring a Kli8nt deployment, and the last status reported on it. */
export const githubDeployments = pgTable("github_deployments", {
  deploymentId: text("deployment_id")
    .primaryKey()
    .references(() => deployments.id, { onDelete: "cascade" }),
  repoFullName: text("repo_full_name").notNull(),
  githubDeploymentId: bigint("github_deployment_id", { mode: "number" }).notNull(),
  lastState: text("last_state"),
  updatedAt: updatedAt(),
});

/**
 * GitHub sign-ins waiting for (or given) an administrator's approval, when no allow-list is configured
 * (ADR 0133). Keyed by the lowercased GitHub login; `github_id` pins the account once it has tried.
 */
/** Scheduled commands of an app, run in a container of its current release (`POST …/cron`). */
export const cronJobs = pgTable(
  "cron_jobs",
  {
    id: text("id").primaryKey(),
    appId: text("app_id")
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    schedule: text("schedule").notNull(),
    command: text("command").notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("cron_jobs_app_name_idx").on(t.appId, t.name)],
);

/**
 * One row per scheduled run, inserted before it starts: the unique (job, scheduled time) is what keeps a
 * restarted or second scheduler from running the same minute twice.
 */
export const cronRuns = pgTable(
  "cron_runs",
  {
    id: text("id").primaryKey(),
    cronJobId: text("cron_job_id")
      .notNull()
      .references(() => cronJobs.id, { onDelete: "cascade" }),
    appId: text("app_id")
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    deploymentId: text("deployment_id"),
    scheduledAt: at("scheduled_at").notNull(),
    state: text("state").notNull(),
    exitCode: integer("exit_code"),
    reason: text("reason"),
    startedAt: at("started_at"),
    finishedAt: at("finished_at"),
  },
  (t) => [
    uniqueIndex("cron_runs_job_scheduled_idx").on(t.cronJobId, t.scheduledAt),
    index("cron_runs_app_idx").on(t.appId, t.scheduledAt),
  ],
);

export const signInApprovals = pgTable("sign_in_approvals", {
  login: text("login").primaryKey(),
  githubId: bigint("github_id", { mode: "number" }),
  status: text("status", { enum: ["pending", "approved"] }).notNull(),
  requestedAt: createdAt(),
  decidedAt: at("decided_at"),
  decidedBy: text("decided_by").references(() => users.id, { onDelete: "set null" }),
});

/**
 * Request and resource metrics per app and process type (ADR 0185): one row per minute (`resolution` 60)
 * for 7 days, then rolled up into one row per hour (`resolution` 3600). Counters add up when merged; the
 * latency histogram merges bucket by bucket, so percentiles hold over any step.
 */
export const metricPoints = pgTable(
  "metric_points",
  {
    appId: text("app_id")
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    process: text("process").notNull(),
    resolution: integer("resolution").notNull(),
    t: at("t").notNull(),
    requests: integer("requests").notNull().default(0),
    status1xx: integer("status_1xx").notNull().default(0),
    status2xx: integer("status_2xx").notNull().default(0),
    status3xx: integer("status_3xx").notNull().default(0),
    status4xx: integer("status_4xx").notNull().default(0),
    status5xx: integer("status_5xx").notNull().default(0),
    latencyBuckets: integer("latency_buckets").array().notNull().default(sql`'{}'::integer[]`),
    latencySumMs: doublePrecision("latency_sum_ms").notNull().default(0),
    // CPU in cores (1 = one core busy), summed over samples so a merged row averages them.
    cpuSum: doublePrecision("cpu_sum").notNull().default(0),
    cpuSamples: integer("cpu_samples").notNull().default(0),
    // The highest memory use seen in the period.
    memoryBytes: bigint("memory_bytes", { mode: "number" }),
    restarts: integer("restarts").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.appId, t.process, t.resolution, t.t] })],
);

/**
 * Where an app's (or, with no app, all of a user's apps') notifications go (ADR 0186). The target (a URL,
 * which for Slack is itself a credential, or an address) and the signing secret are stored encrypted.
 */
export const notificationDestinations = pgTable(
  "notification_destinations",
  {
    id: text("id").primaryKey(),
    ownerId: text("owner_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    appId: text("app_id").references(() => apps.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: ["webhook", "slack", "email"] }).notNull(),
    targetEnc: text("target_enc").notNull(),
    // What the list shows: the URL's host or the address, never the full Slack URL.
    targetHint: text("target_hint").notNull(),
    secretEnc: text("secret_enc"),
    events: text("events").array().notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("notification_destinations_owner_idx").on(t.ownerId, t.appId)],
);

/**
 * The durable delivery queue: one row per (destination, event), unique so an event recorded twice is sent
 * once. A worker claims due rows, sends, and retries with exponential backoff until `failed`.
 */
export const notificationDeliveries = pgTable(
  "notification_deliveries",
  {
    id: text("id").primaryKey(),
    destinationId: text("destination_id")
      .notNull()
      .references(() => notificationDestinations.id, { onDelete: "cascade" }),
    event: text("event").notNull(),
    eventKey: text("event_key").notNull(),
    payload: jsonb("payload").notNull(),
    state: text("state", { enum: ["pending", "delivered", "failed"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: at("next_attempt_at").notNull(),
    lastStatus: integer("last_status"),
    lastError: text("last_error"),
    createdAt: createdAt(),
    finishedAt: at("finished_at"),
  },
  (t) => [
    uniqueIndex("notification_deliveries_key_idx").on(t.destinationId, t.eventKey),
    index("notification_deliveries_due_idx").on(t.nextAttemptAt).where(sql`${t.state} = 'pending'`),
    index("notification_deliveries_destination_idx").on(t.destinationId, t.createdAt),
  ],
);

/**
 * Managed add-ons (issue 25, ADR 0225): one PostgreSQL database and role per row on the platform's server.
 * The password is encrypted with the secret box; the app's DATABASE_URL and PG* variables are derived from
 * the row (never copied into env_vars), so deleting the add-on removes them. `status` is what the add-on
 * reconciler last observed; `sizeBytes` is `pg_database_size` at its last look.
 */
export const addons = pgTable(
  "addons",
  {
    id: text("id").primaryKey(),
    appId: text("app_id")
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    type: text("type", { enum: ["postgres"] }).notNull(),
    // `deleting` (cluster mode, ADR 0228): the final dump is requested; the controller removes the add-on after.
    status: text("status", { enum: ["provisioning", "ready", "error", "deleting"] })
      .notNull()
      .default("provisioning"),
    detail: text("detail"),
    database: text("database").notNull().unique(),
    role: text("role").notNull().unique(),
    passwordEnc: text("password_enc").notNull(),
    // Where the app reaches the server, as its PGHOST/PGPORT; set once the server is up.
    host: text("host"),
    port: integer("port"),
    sizeBytes: bigint("size_bytes", { mode: "number" }),
    // A restore the api requested and the controller executes (cluster mode, ADR 0228); null: none asked.
    restoreBackupId: text("restore_backup_id"),
    restoreStatus: text("restore_status", { enum: ["requested", "running", "done", "error"] }),
    restoreDetail: text("restore_detail"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("addons_app_type_idx").on(t.appId, t.type)],
);

/**
 * Backups of cluster add-ons as rows (ADR 0228): the api requests them, the deploy controller runs them and
 * records where the dump went. A `final` dump keeps its row when its add-on is gone (`addon_id` set null), so
 * it can be restored into a new one.
 */
export const addonBackups = pgTable(
  "addon_backups",
  {
    id: text("id").primaryKey(),
    appId: text("app_id")
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    addonId: text("addon_id").references(() => addons.id, { onDelete: "set null" }),
    database: text("database").notNull(),
    kind: text("kind", { enum: ["manual", "nightly", "final"] }).notNull(),
    status: text("status", { enum: ["requested", "running", "done", "error"] })
      .notNull()
      .default("requested"),
    detail: text("detail"),
    sizeBytes: bigint("size_bytes", { mode: "number" }),
    // Where the controller put the dump: `pvc:<claim>/<file>` or `cnpg-backup:<name>`.
    location: text("location"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    finishedAt: at("finished_at"),
  },
  (t) => [
    index("addon_backups_addon_idx").on(t.addonId, t.createdAt),
    index("addon_backups_pending_idx").on(t.status).where(sql`${t.status} in ('requested', 'running')`),
  ],
);

/**
 * Custom domains (issue 25, ADR 0220): a hostname served as its app, unique across users, stored lowercased
 * (punycode for IDNs). The certificate chain and its private key are encrypted with the secret box, bound to
 * the row's id. `nextAttemptAt`/`attempts` are the ACME reconciler's retry backoff after a failed order.
 */
export const domains = pgTable(
  "domains",
  {
    id: text("id").primaryKey(),
    appId: text("app_id")
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    hostname: text("hostname").notNull().unique(),
    wildcard: boolean("wildcard").notNull().default(false),
    status: text("status", { enum: ["pending", "active", "error"] })
      .notNull()
      .default("pending"),
    detail: text("detail"),
    certChainEnc: text("cert_chain_enc"),
    certKeyEnc: text("cert_key_enc"),
    certIssuer: text("cert_issuer"),
    certSerial: text("cert_serial"),
    certIssuedAt: at("cert_issued_at"),
    certNotAfter: at("cert_not_after"),
    nextAttemptAt: at("next_attempt_at"),
    attempts: integer("attempts").notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("domains_app_idx").on(t.appId, t.hostname)],
);

/** The ACME account per directory URL (ADR 0220); its key is encrypted, bound to the directory URL. */
export const acmeAccounts = pgTable("acme_accounts", {
  directoryUrl: text("directory_url").primaryKey(),
  accountKeyEnc: text("account_key_enc").notNull(),
  accountUrl: text("account_url"),
  email: text("email"),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});
