import type { BuildRequested } from "@kli8nt/core";
import { describe, expect, it } from "vitest";
import type { BuildSource } from "./build-source.ts";
import { kanikoBuildHandler } from "./kaniko-build-handler.ts";

const message: BuildRequested = {
  type: "BuildRequested",
  version: 1,
  deploymentId: "dep_1",
  appId: "app_1",
  appName: "shop",
  repository: { url: "https://github.com/acme/shop", ref: "main", commitSha: null, rootDir: "" },
  requestedAt: new Date(0).toISOString(),
};
const silent = { info: () => undefined, warn: () => undefined };

function run(source: BuildSource | null) {
  const builds: Array<{ owner: string; token: string | null | undefined }> = [];
  const published: Array<{ queue: string; body: unknown }> = [];
  const handle = kanikoBuildHandler({
    builder: {
      build: async (_m, owner, token) => {
        builds.push({ owner, token });
        return {
          kind: "succeeded",
          image: "r/shop@sha256:1",
          plan: { provider: "node", port: 8080, commitSha: null },
        };
      },
    },
    bus: { publish: async (queue, m) => void published.push({ queue, body: m.body }) },
    logger: silent,
    source: async () => source,
    // Not used when the api answers: owner and port come from the same answer.
    ownerOf: async () => "usr_from_lookup",
    portOf: async () => 1234,
  });
  return { done: handle(message), builds, published };
}

describe("kanikoBuildHandler with the api's build source", () => {
  it("builds for the owner with the token it got, and deploys on the port override", async () => {
    const r = run({ ownerId: "usr_alice", port: 9090, cloneToken: "gho_x" });
    await r.done;
    expect(r.builds).toEqual([{ owner: "usr_alice", token: "gho_x" }]);
    expect(r.published.find((p) => p.queue === "DEPLOY")?.body).toMatchObject({ port: 9090 });
  });

  it("falls back to the plan's port without an override, and passes null (no token) as such", async () => {
    const r = run({ ownerId: "usr_alice", port: null, cloneToken: null });
    await r.done;
    expect(r.builds).toEqual([{ owner: "usr_alice", token: null }]);
    expect(r.published.find((p) => p.queue === "DEPLOY")?.body).toMatchObject({ port: 8080 });
  });

  it("acknowledges a deployment that is gone or past building without building or reporting", async () => {
    const r = run(null);
    await r.done;
    expect(r.builds).toEqual([]);
    expect(r.published).toEqual([]);
  });
});
