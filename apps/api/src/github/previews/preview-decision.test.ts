import { PREVIEWS_OFF } from "@kli8nt/db";
import type { PullRequestChange } from "@kli8nt/github";
import { describe, expect, it } from "vitest";
import { decidePreview } from "./preview-decision.ts";

const pr = (over: Partial<PullRequestChange>): PullRequestChange => ({
  action: "opened",
  number: 7,
  title: "Faster",
  url: "https://github.example/acme/shop/pull/7",
  repoFullName: "acme/shop",
  baseBranch: "main",
  headRepoFullName: "acme/shop",
  headCloneUrl: "https://github.example/acme/shop.git",
  headRef: "faster",
  headSha: "a".repeat(40),
  fork: false,
  labels: [],
  ...over,
});
const all = { ...PREVIEWS_OFF, mode: "all" as const };
const label = { ...PREVIEWS_OFF, mode: "label" as const, label: "preview" };

describe("decidePreview", () => {
  it("deploys opened, reopened and synchronize when previews are on", () => {
    for (const action of ["opened", "reopened", "synchronize"]) {
      expect(decidePreview(all, pr({ action })).act).toBe("deploy");
    }
    expect(decidePreview(PREVIEWS_OFF, pr({})).act).toBe("ignore");
    expect(decidePreview(all, pr({ action: "edited" })).act).toBe("ignore");
  });

  it("tears down on close even when previews were turned off since", () => {
    expect(decidePreview(PREVIEWS_OFF, pr({ action: "closed" })).act).toBe("teardown");
  });

  it("in label mode deploys only labelled pull requests, and tears down when the label goes", () => {
    expect(decidePreview(label, pr({})).act).toBe("ignore");
    expect(decidePreview(label, pr({ labels: ["preview"] })).act).toBe("deploy");
    expect(decidePreview(label, pr({ action: "labeled", label: "preview", labels: ["preview"] })).act).toBe(
      "deploy",
    );
    expect(decidePreview(label, pr({ action: "labeled", label: "bug", labels: ["bug"] })).act).toBe("ignore");
    expect(decidePreview(label, pr({ action: "unlabeled", label: "preview" })).act).toBe("teardown");
  });

  it("skips forks unless allowed", () => {
    expect(decidePreview(all, pr({ fork: true })).act).toBe("ignore");
    expect(decidePreview({ ...all, allowForks: true }, pr({ fork: true })).act).toBe("deploy");
  });
});
