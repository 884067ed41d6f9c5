import type { BuildRequested, DeploymentProgress } from "@kli8nt/core";
import { describe, expect, it } from "vitest";
import type { BuildRequest, BuildResult } from "../builder.ts";
import { BuildError } from "../errors.ts";
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
const SHA = "a".repeat(40);
const built: BuildResult = {
  image: "r/shop@sha256:1",
  commitSha: SHA,
  plan: {
    provider: "node",
    port: 8080,
    processes: { web: null, worker: "node worker.js" },
    releaseCommand: "npm run migrate",
  },
};

// The cluster's wiring of the one build handler (the bus tracker), over a Builder that answers at once:
// what reaches the bus for the api's answer and the builder's result.
function run(source: BuildSource | null, result: BuildResult | BuildError = built) {
  const builds: Array<{ owner: string; token: string | null | undefined; timeoutMs: number }> = [];
  const published: Array<{ queue: string; id: string; type: string; body: unknown }> = [];
  const handle = kanikoBuildHandler({
    builder: {
      kind: "kaniko-job",
      isolated: true,
      timeoutMs: 900_000,
      build: async (request: BuildRequest) => {
        builds.push({ owner: request.owner, token: request.cloneToken, timeoutMs: request.timeoutMs });
        if (result instanceof BuildError) throw result;
        return result;
      },
    },
    bus: {
      publish: async (queue, m) => void published.push({ queue, id: m.id, type: m.type, body: m.body }),
    },
    logger: silent,
    source: async () => source,
    // Not used when the api answers: owner and port come from the same answer.
    ownerOf: async () => "usr_from_lookup",
    portOf: async () => 1234,
  });
  return { done: handle(message), builds, published };
}

const deployOf = (r: ReturnType<typeof run>) => r.published.find((p) => p.queue === "DEPLOY")?.body;
const states = (r: ReturnType<typeof run>) =>
  r.published.filter((p) => p.queue === "INFORM").map((p) => (p.body as DeploymentProgress).state);

describe("the build handler in the cluster (api source, bus tracker)", () => {
  it("builds for the owner with the token it got, and deploys on the port override", async () => {
    const r = run({ ownerId: "usr_alice", port: 9090, cloneToken: "gho_x" });
    await r.done;
    expect(r.builds).toEqual([{ owner: "usr_alice", token: "gho_x", timeoutMs: 900_000 }]);
    expect(deployOf(r)).toMatchObject({ port: 9090, image: built.image });
    expect(states(r)).toEqual(["building", "built"]);
    // The same wire types as the outbox relay publishes on a single machine.
    expect(r.published.map((p) => p.type)).toEqual([
      "DeploymentProgress.v1",
      "DeployRequested.v1",
      "DeploymentProgress.v1",
    ]);
    expect(r.published.map((p) => p.id)).toEqual([
      "dep_1:build:building",
      "dep_1:deploy",
      "dep_1:build:built",
    ]);
  });

  it("falls back to the plan's port, carries its processes and release command, and passes null (no token) as such", async () => {
    const r = run({ ownerId: "usr_alice", port: null, cloneToken: null });
    await r.done;
    expect(r.builds).toEqual([{ owner: "usr_alice", token: null, timeoutMs: 900_000 }]);
    expect(deployOf(r)).toMatchObject({
      port: 8080,
      processes: { web: null, worker: "node worker.js" },
      releaseCommand: "npm run migrate",
    });
    const builtReport = r.published.at(-1)?.body as DeploymentProgress;
    expect(builtReport).toMatchObject({ state: "built", image: built.image, commitSha: SHA });
  });

  it("lets the app's release command setting win over the plan's", async () => {
    const settings = { releaseCommand: "python manage.py migrate" };
    const r = run({ ownerId: "usr_alice", port: null, cloneToken: null, buildSettings: settings });
    await r.done;
    expect(deployOf(r)).toMatchObject({ releaseCommand: "python manage.py migrate" });
  });

  it("keeps the default port for a worker-only plan, whose processes have no web", async () => {
    const worker: BuildResult = {
      ...built,
      plan: { provider: "node", port: null, processes: { worker: "node worker.js" }, releaseCommand: null },
    };
    const r = run({ ownerId: "usr_alice", port: null, cloneToken: null }, worker);
    await r.done;
    const deploy = deployOf(r) as Record<string, unknown>;
    expect(deploy).toMatchObject({ port: 3000, processes: { worker: "node worker.js" } });
    expect(deploy).not.toHaveProperty("releaseCommand");
  });

  it("reports a failed build with its reason and publishes no DEPLOY", async () => {
    const r = run(
      { ownerId: "usr_alice", port: null, cloneToken: null },
      new BuildError("BUILD_FAILED", "RUN npm ci: exit 1"),
    );
    await r.done;
    expect(deployOf(r)).toBeUndefined();
    expect(states(r)).toEqual(["building", "failed"]);
    expect(r.published.at(-1)?.body).toMatchObject({ reason: "RUN npm ci: exit 1" });
  });

  it("acknowledges a deployment that is gone or past building without building or reporting", async () => {
    const r = run(null);
    await r.done;
    expect(r.builds).toEqual([]);
    expect(r.published).toEqual([]);
  });
});
