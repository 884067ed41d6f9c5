import { type FakeGitHub, startFakeGitHub } from "@kli8nt/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveGitHubEndpoints } from "./endpoints.ts";
import { createGitHubClient } from "./github-client.ts";
import { retryGitHub } from "./retry.ts";

describe("retryGitHub (against the fake GitHub)", () => {
  let gh: FakeGitHub;
  let token: string;
  const waits: number[] = [];
  const delay = async (ms: number) => {
    waits.push(ms);
  };

  beforeAll(async () => {
    gh = await startFakeGitHub();
    token = gh.addUser({ login: "rita" }).token;
  });
  afterAll(() => gh.stop());

  it("retries 5xx with doubling backoff and then succeeds", async () => {
    waits.length = 0;
    gh.failNextRequests({ count: 2, status: 503 });
    const c = createGitHubClient({ apiUrl: gh.apiUrl, token });
    const viewer = await retryGitHub(() => c.getViewer(), { baseDelayMs: 100, delay });
    expect(viewer.login).toBe("rita");
    expect(waits).toEqual([100, 200]);
  });

  it("gives up after the attempts, and never retries a revoked token", async () => {
    waits.length = 0;
    gh.failNextRequests({ count: 10, status: 502 });
    const c = createGitHubClient({ apiUrl: gh.apiUrl, token });
    await expect(retryGitHub(() => c.getViewer(), { attempts: 3, delay })).rejects.toMatchObject({
      code: "GITHUB_UNAVAILABLE",
    });
    expect(waits).toHaveLength(2);
    gh.failNextRequests({ count: 0 });
    waits.length = 0;
    const revoked = gh.issueToken("rita");
    gh.revokeToken(revoked);
    const r = createGitHubClient({ apiUrl: gh.apiUrl, token: revoked });
    await expect(retryGitHub(() => r.getViewer(), { delay })).rejects.toMatchObject({
      code: "GITHUB_UNAUTHORIZED",
    });
    expect(waits).toEqual([]);
  });

  it("waits out a rate limit until its reset (capped)", async () => {
    waits.length = 0;
    gh.setRateLimit("rita", { remaining: 0, resetInSeconds: 30 });
    const c = createGitHubClient({ apiUrl: gh.apiUrl, token });
    const wait = async (ms: number) => {
      waits.push(ms);
      gh.setRateLimit("rita", { remaining: 100 });
    };
    expect((await retryGitHub(() => c.getViewer(), { delay: wait, maxDelayMs: 20_000 })).login).toBe("rita");
    expect(waits).toEqual([20_000]);
  });
});

describe("resolveGitHubEndpoints", () => {
  it("pairs github.com with api.github.com and an Enterprise host with /api/v3", () => {
    expect(resolveGitHubEndpoints()).toEqual({
      webUrl: "https://github.com",
      apiUrl: "https://api.github.com",
    });
    expect(resolveGitHubEndpoints({ url: "https://ghe.example.com/" })).toEqual({
      webUrl: "https://ghe.example.com",
      apiUrl: "https://ghe.example.com/api/v3",
    });
    expect(
      resolveGitHubEndpoints({ url: "https://ghe.example.com", apiUrl: "https://api.ghe.example.com/" })
        .apiUrl,
    ).toBe("https://api.ghe.example.com");
    expect(() => resolveGitHubEndpoints({ url: "ftp://x" })).toThrow(/http/);
  });
});
