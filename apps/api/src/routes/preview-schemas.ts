import { appNameSchema, envKeySchema, envValueSchema } from "@kli8nt/core";
import { z } from "zod";

/** `PATCH /api/apps/:name` `previews` (ADR 0200): absent fields keep their stored value. */
export const previewSettingsPatch = z
  .strictObject({
    mode: z
      .enum(["off", "all", "label"])
      .optional()
      .describe("off (default), every pull request into the app's branch, or those with `label`"),
    label: z.string().trim().min(1).max(50).optional().describe('The label "label" mode looks for'),
    max: z.number().int().min(1).max(20).optional().describe("Concurrent previews; the oldest go first"),
    allowForks: z
      .boolean()
      .optional()
      .describe("Deploy pull requests from forks too (then without any secret variable)"),
    env: z
      .record(envKeySchema, envValueSchema)
      .refine((env) => Object.keys(env).length <= 50, { message: "at most 50 overrides" })
      .optional()
      .describe("Plain values previews get over the app's own"),
    database: z
      .enum(["empty", "copy"])
      .optional()
      .describe("With a Postgres add-on: each preview's own database starts empty (default) or as a copy"),
    logRetentionDays: z
      .number()
      .int()
      .min(0)
      .max(90)
      .optional()
      .describe("Days a closed preview's logs are kept (default 7; 0 removes them at teardown)"),
  })
  .describe("Pull request previews");

export const previewSettingsView = z.object({
  mode: z.enum(["off", "all", "label"]),
  label: z.string(),
  max: z.number().int(),
  allowForks: z.boolean(),
  env: z.record(z.string(), z.string()),
  database: z.enum(["empty", "copy"]),
  logRetentionDays: z.number().int(),
});

/** An env var's `preview`: true (default) gives it to previews, false withholds it, "only" gives it only to them. */
export const envPreviewInput = z
  .union([z.boolean(), z.literal("only")])
  .default(true)
  .describe('Pull request previews get it (true), not (false), or only they do ("only")');

export const previewView = z.object({
  number: z.number().int(),
  app: z.string().describe("The preview's own app name, `<app>-pr-<n>` (its logs, deployments)"),
  state: z.string().describe("Its newest deployment's state"),
  url: z.string(),
  pullRequest: z.object({ number: z.number().int(), title: z.string(), url: z.string() }),
  head: z.object({ repo: z.string(), ref: z.string(), sha: z.string() }),
  fork: z.boolean(),
  createdAt: z.string(),
});

export const closedPreviewView = z.object({
  number: z.number().int(),
  app: z.string(),
  title: z.string(),
  closedAt: z.string(),
  logsUntil: z.string().describe("When the retention pass removes its logs"),
});

export const previewListView = z.object({
  settings: previewSettingsView,
  items: z.array(previewView),
  closed: z
    .array(closedPreviewView)
    .describe("Torn-down previews whose logs are still kept (GET …/previews/:number/logs), newest first"),
});

export const previewParams = z.strictObject({
  name: appNameSchema,
  number: z.coerce.number().int().min(1),
});
