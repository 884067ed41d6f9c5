import type { PreviewSettings } from "@kli8nt/db";
import type { PullRequestChange } from "@kli8nt/github";

export type PreviewDecision =
  | { readonly act: "deploy" }
  | { readonly act: "teardown"; readonly reason: string }
  | { readonly act: "ignore"; readonly reason: string };

const DEPLOYING_ACTIONS = new Set(["opened", "reopened", "synchronize"]);

function wanted(settings: PreviewSettings, pr: PullRequestChange): PreviewDecision {
  if (settings.mode === "off") return { act: "ignore", reason: "Previews are off for this app" };
  if (settings.mode === "label" && !pr.labels.includes(settings.label)) {
    return { act: "ignore", reason: `The pull request has no "${settings.label}" label` };
  }
  if (pr.fork && !settings.allowForks) {
    return {
      act: "ignore",
      reason: "Pull requests from forks get no preview unless previews.allowForks is set",
    };
  }
  return { act: "deploy" };
}

/**
 * What a `pull_request` action means for its preview (pure; ADR 0200): opened, reopened and synchronize
 * deploy the head when the settings want a preview; labeled does when it adds the preview label; closed, and
 * removing the label, tear it down (whatever the settings are now, so none outlives its pull request).
 */
export function decidePreview(settings: PreviewSettings, pr: PullRequestChange): PreviewDecision {
  if (pr.action === "closed") return { act: "teardown", reason: "Torn down: the pull request was closed." };
  if (pr.action === "unlabeled" && settings.mode === "label" && pr.label === settings.label) {
    return { act: "teardown", reason: `Torn down: the "${settings.label}" label was removed.` };
  }
  if (DEPLOYING_ACTIONS.has(pr.action)) return wanted(settings, pr);
  if (pr.action === "labeled" && settings.mode === "label" && pr.label === settings.label) {
    return wanted(settings, pr);
  }
  return { act: "ignore", reason: `Action ${pr.action} needs no preview change` };
}
