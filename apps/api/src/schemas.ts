import {
  appNameSchema,
  branchSchema,
  buildSettingsSchema,
  CONDITION_TYPES,
  DEPLOYMENT_STATES,
  envKeySchema,
  envValueSchema,
  portSchema,
  rootDirSchema,
} from "@kli8nt/core";
import { z } from "zod";
import { formationView } from "./routes/formation-schemas.ts";
import { envPreviewInput, previewSettingsPatch } from "./routes/preview-schemas.ts";

export const repositoryInput = z.strictObject({
  url: z
    .string()
    .min(1)
    .max(2048)
    .describe("https URL of the git repository, e.g. https://github.com/acme/shop"),
  branch: branchSchema
    .optional()
    .describe("Branch to deploy; defaults to the repository's own default branch, resolved at creation"),
  rootDir: rootDirSchema
    .optional()
    .describe("Directory of the app inside the repository; defaults to the root"),
});

export const appCreateBody = z.strictObject({
  name: appNameSchema.describe("DNS label: becomes the app's subdomain"),
  repository: repositoryInput,
  port: portSchema.optional().describe("Port the app listens on; detected from the build plan when absent"),
  buildSettings: buildSettingsSchema.optional().describe("Overrides of the build plan"),
});

export const appPatchBody = z.strictObject({
  repository: repositoryInput.partial().optional(),
  port: portSchema.nullable().optional(),
  buildSettings: buildSettingsSchema.optional().describe("A value sets, null clears, absent keeps"),
  previews: previewSettingsPatch.optional(),
});

export const appNameParams = z.strictObject({ name: appNameSchema });

export const envPutBody = z.strictObject({
  vars: z
    .array(
      z.strictObject({
        key: envKeySchema,
        value: envValueSchema.nullable().describe("null keeps the stored value of an existing secret"),
        secret: z.boolean().default(false),
        build: z
          .boolean()
          .default(false)
          .describe("Also pass it to the build: a build arg, or a build secret when secret"),
        preview: envPreviewInput,
      }),
    )
    .max(500)
    .refine((vars) => new Set(vars.map((v) => v.key)).size === vars.length, {
      message: "keys must be unique",
    }),
});

/** The body is optional: an empty POST deploys the app's branch. */
export const deploymentCreateBody = z
  .strictObject({
    ref: branchSchema.optional().describe("Branch, tag or commit to deploy; defaults to the app's branch"),
  })
  .nullish();

export const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(64).optional(),
});

export const deploymentListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(20),
  before: z.coerce.number().int().min(1).optional(),
});

export const deploymentIdParams = z.strictObject({ id: z.string().min(1).max(64) });

/** A status condition (building, deploying, available, degraded) with a reason a program can match on. */
export const conditionView = z.object({
  type: z.enum(CONDITION_TYPES),
  status: z.enum(["true", "false", "unknown"]),
  reason: z.string(),
  message: z.string(),
  lastTransitionTime: z.string(),
});

export const deploymentView = z.object({
  id: z.string(),
  number: z.number().int(),
  state: z.enum(DEPLOYMENT_STATES),
  trigger: z.string(),
  ref: z.string(),
  commitSha: z.string().nullable(),
  image: z.string().nullable(),
  url: z.string().nullable(),
  reason: z.string().nullable(),
  port: z.number().int().nullable(),
  /** How often the runtime restarted this release after it died. */
  restarts: z.number().int(),
  conditions: z.array(conditionView),
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().nullable(),
});

export const appView = z.object({
  id: z.string(),
  name: z.string(),
  url: z.string(),
  repository: z.object({ url: z.string(), branch: z.string(), rootDir: z.string() }),
  port: z.number().int().nullable(),
  /** Overrides of the build plan the app's settings hold; absent keys are the plan's to decide. */
  buildSettings: z.object({
    installCommand: z.string().optional(),
    buildCommand: z.string().optional(),
    startCommand: z.string().optional(),
    dockerfilePath: z.string().optional(),
    buildTarget: z.string().optional(),
    healthCheckPath: z.string().optional(),
  }),
  /** Stopped by the user (`POST …/stop`): nothing runs until `POST …/start`. */
  stopped: z.boolean(),
  /** Process types with counts and sizes (`GET …/formation`); in the single-app answer only. */
  formation: formationView.shape.processes.optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  latestDeployment: deploymentView.nullable(),
});

export const envView = z.object({
  vars: z.array(
    z.object({
      key: z.string(),
      value: z.string().nullable(),
      secret: z.boolean(),
      build: z.boolean(),
      preview: z.union([z.boolean(), z.literal("only")]),
      managedBy: z
        .string()
        .optional()
        .describe("The add-on this variable comes from (issue 25): read-only, gone with the add-on"),
    }),
  ),
});

export const problemView = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  instance: z.string(),
  code: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

/** The error answers every authenticated route can give. */
export const commonErrors = { 400: problemView, 401: problemView, 404: problemView } as const;
