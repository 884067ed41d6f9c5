import { z } from "zod";
import { isContainedRelativePath } from "./app-spec.ts";

// One line each: commands run with `sh -c` in the build or as the container's start; a newline would let a
// setting smuggle extra Dockerfile instructions into the rendered file.
const command = z
  .string()
  .min(1)
  .max(2000)
  .refine((s) => !s.includes("\n") && !s.includes("\r") && !s.includes("\0"), {
    message: "must be a single line",
  });

/**
 * App settings that override the build plan (Render and Railway offer the same): commands, the Dockerfile
 * path (a Containerfile too), the build target stage and the path the deploy health check probes.
 */
export const buildSettingsSchema = z.strictObject({
  installCommand: command.nullable().optional().describe("Replaces the plan's install step"),
  buildCommand: command.nullable().optional().describe("Replaces the plan's build step"),
  startCommand: command.nullable().optional().describe("Replaces the plan's start command"),
  dockerfilePath: z
    .string()
    .min(1)
    .max(255)
    .refine(isContainedRelativePath, { message: "must be a relative path inside the app's root directory" })
    .nullable()
    .optional()
    .describe("A Dockerfile or Containerfile to build with, relative to the root directory"),
  buildTarget: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, "must be a Dockerfile stage name")
    .nullable()
    .optional()
    .describe("The Dockerfile stage to build (--target)"),
  releaseCommand: command
    .nullable()
    .optional()
    .describe("Replaces the plan's release command, run once per deployment before it takes traffic"),
  healthCheckPath: z
    .string()
    .max(255)
    .regex(/^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*$/, "must be a path starting with /")
    .nullable()
    .optional()
    .describe("The HTTP path the deploy health check requests"),
});
export type BuildSettingsInput = z.infer<typeof buildSettingsSchema>;

/** Stored settings: a field is either set or absent (null and absent both mean "the plan decides"). */
export interface BuildSettings {
  readonly installCommand?: string;
  readonly buildCommand?: string;
  readonly startCommand?: string;
  readonly dockerfilePath?: string;
  readonly buildTarget?: string;
  readonly healthCheckPath?: string;
  readonly releaseCommand?: string;
}

/** Merges a change into stored settings: a given value sets, null clears, absent keeps. */
export function mergeBuildSettings(current: BuildSettings, change: BuildSettingsInput): BuildSettings {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(current)) if (typeof value === "string") out[key] = value;
  for (const [key, value] of Object.entries(change)) {
    if (value === null) delete out[key];
    else if (typeof value === "string") out[key] = value;
  }
  return out;
}
