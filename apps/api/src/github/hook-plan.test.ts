import type { GitHubHookRow } from "@kli8nt/db";
import { describe, expect, it } from "vitest";
import { planHooks } from "./hook-plan.ts";
import { parseGitHubRepoUrl } from "./repo-url.ts";

const WEB = "https://ghe.example.com";
const now = Date.parse("2026-11-25T12:00:00Z");
const opts = { webUrl: WEB, now, retryFailedAfterMs: 600_000 };

const hook = (over: Partial<GitHubHookRow>): GitHubHookRow => ({
  appId: "app_1",
  userId: "usr_1",
  repoFullName: "acme/shop",
  hookId: 11,
  lastError: null,
  events: ["push", "pull_request"],
  updatedAt: new Date(now),
  ...over,
});

describe("parseGitHubRepoUrl", () => {
  it("reads owner/repo from URLs on the configured host only", () => {
    expect(parseGitHubRepoUrl(WEB, `${WEB}/Acme/Shop.git`)).toEqual({
      owner: "Acme",
      repo: "Shop",
      fullName: "acme/shop",
    });
    expect(parseGitHubRepoUrl("https://github.com", "https://github.com/acme/shop")?.fullName).toBe(
      "acme/shop",
    );
    for (const url of [
      "https://github.com/acme/shop",
      `${WEB}/acme`,
      `${WEB}/acme/shop/tree/main`,
      `http://ghe.example.com/acme/shop`,
      "/srv/git/shop",
      "not a url",
    ]) {
      expect(parseGitHubRepoUrl(WEB, url)).toBeNull();
    }
  });
});

describe("planHooks", () => {
  it("creates hooks for new GitHub-backed apps only", () => {
    const plan = planHooks(
      [
        { id: "app_1", ownerId: "usr_1", repoUrl: `${WEB}/acme/shop` },
        { id: "app_2", ownerId: "usr_1", repoUrl: "https://gitlab.com/acme/shop" },
      ],
      [],
      opts,
    );
    expect(plan.remove).toEqual([]);
    expect(plan.create).toEqual([
      { appId: "app_1", userId: "usr_1", repo: { owner: "acme", repo: "shop", fullName: "acme/shop" } },
    ]);
  });

  it("leaves current hooks alone and removes those of deleted or moved apps", () => {
    const kept = hook({});
    const orphan = hook({ appId: "app_gone", hookId: 12 });
    const moved = hook({ appId: "app_3", repoFullName: "acme/old", hookId: 13 });
    const plan = planHooks(
      [
        { id: "app_1", ownerId: "usr_1", repoUrl: `${WEB}/acme/shop` },
        { id: "app_3", ownerId: "usr_1", repoUrl: `${WEB}/acme/new` },
      ],
      [kept, orphan, moved],
      opts,
    );
    expect(plan.remove.map((h) => h.appId).sort()).toEqual(["app_3", "app_gone"]);
    expect(plan.create.map((c) => c.repo.fullName)).toEqual(["acme/new"]);
  });

  it("retries a failed creation only after the back-off", () => {
    const apps = [{ id: "app_1", ownerId: "usr_1", repoUrl: `${WEB}/acme/shop` }];
    const recent = hook({ hookId: null, lastError: "GitHub refused", updatedAt: new Date(now - 60_000) });
    const old = hook({ hookId: null, lastError: "GitHub refused", updatedAt: new Date(now - 700_000) });
    expect(planHooks(apps, [recent], opts).create).toHaveLength(0);
    expect(planHooks(apps, [old], opts).create).toHaveLength(1);
    expect(planHooks(apps, [old], opts).remove).toHaveLength(0);
  });

  it("gives a hook made before previews the pull_request event, and leaves current ones alone", () => {
    const apps = [{ id: "app_1", ownerId: "usr_1", repoUrl: `${WEB}/acme/shop` }];
    const old = hook({ events: ["push"] });
    expect(planHooks(apps, [old], opts).update).toEqual([old]);
    expect(planHooks(apps, [old], opts).create).toEqual([]);
    expect(planHooks(apps, [hook({})], opts).update).toEqual([]);
  });
});
