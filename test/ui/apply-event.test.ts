import { describe, expect, it } from "vitest";
import type { App, Deployment, DeploymentPage } from "../../apps/web/src/api/types.ts";
import { withApp, withDeployment, withDeploymentInPage } from "../../apps/web/src/live/apply-event.ts";

const at = (s: number) => new Date(1_800_000_000_000 + s * 1000).toISOString();
const dep = (number: number, state: Deployment["state"], updated: number): Deployment => ({
  id: `dep_${number}`,
  number,
  state,
  trigger: "api",
  ref: "main",
  commitSha: null,
  image: null,
  url: null,
  reason: null,
  createdAt: at(0),
  updatedAt: at(updated),
  finishedAt: null,
});
const app = (latest: Deployment | null): App => ({
  id: "app_1",
  name: "shop",
  url: "http://shop.localhost:8000",
  repository: { url: "https://github.com/acme/shop", branch: "main", rootDir: "." },
  port: null,
  createdAt: at(0),
  updatedAt: at(0),
  latestDeployment: latest,
});
const page = (...items: Deployment[]): DeploymentPage => ({ items, nextBefore: null });

// The merges the pages apply to pushed rows: a row never replaces a newer one it raced with.
describe("applying pushed rows", () => {
  it("moves the app's latest deploy forward only", () => {
    expect(withDeployment(app(null), dep(1, "queued", 1)).latestDeployment?.state).toBe("queued");
    const building = app(dep(2, "building", 5));
    expect(withDeployment(building, dep(2, "live", 9)).latestDeployment?.state).toBe("live");
    expect(withDeployment(building, dep(2, "queued", 2))).toBe(building); // A late answer, older.
    expect(withDeployment(building, dep(1, "superseded", 9))).toBe(building); // An older deploy.
    expect(withDeployment(building, dep(3, "queued", 6)).latestDeployment?.number).toBe(3);
  });

  it("replaces a row of the history in place, adds a new deploy on top, ignores older pages", () => {
    const held = page(dep(3, "building", 5), dep(2, "live", 4));
    expect(withDeploymentInPage(held, dep(3, "live", 8)).items.map((d) => d.state)).toEqual(["live", "live"]);
    expect(withDeploymentInPage(held, dep(2, "superseded", 8)).items.map((d) => d.state)).toEqual([
      "building",
      "superseded",
    ]);
    expect(withDeploymentInPage(held, dep(3, "queued", 1))).toBe(held);
    expect(withDeploymentInPage(held, dep(4, "queued", 9)).items.map((d) => d.number)).toEqual([4, 3, 2]);
    expect(withDeploymentInPage(held, dep(1, "superseded", 9))).toBe(held);
    expect(withDeploymentInPage(page(), dep(1, "queued", 1)).items).toHaveLength(1);
  });

  it("takes a pushed app's settings but keeps whichever latest deploy is newer", () => {
    const pushed = { ...app(dep(2, "building", 3)), port: 8080 };
    const merged = withApp(app(dep(2, "live", 7)), pushed);
    expect(merged.port).toBe(8080);
    expect(merged.latestDeployment?.state).toBe("live");
  });
});
