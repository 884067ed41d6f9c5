import type { BuildSettings } from "@kli8nt/core";
import type { DetectOptions } from "../types.ts";

/**
 * The detect() options an app's settings give (ADR 0010 rule 8, ADR 0156): commands override the plan's
 * (after kli8nt.json); a Dockerfile path is used unchanged instead of detection.
 */
export function detectOptionsFromSettings(settings: BuildSettings): DetectOptions {
  const overrides: NonNullable<DetectOptions["settings"]> = {};
  if (settings.installCommand) overrides.install = [settings.installCommand];
  if (settings.buildCommand) overrides.build = [settings.buildCommand];
  if (settings.startCommand) overrides.start = settings.startCommand;
  return {
    ...(Object.keys(overrides).length > 0 ? { settings: overrides } : {}),
    ...(settings.dockerfilePath ? { dockerfile: settings.dockerfilePath } : {}),
  };
}
