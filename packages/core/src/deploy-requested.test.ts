import { describe, expect, it } from "vitest";
import { deployRequestedMessage } from "./deploy-requested.ts";
import { deployRequestedV1 } from "./messages.ts";

const base = {
  deploymentId: "dep_1",
  appId: "app_1",
  appName: "shop",
  image: "localhost/kli8nt/shop@sha256:1",
  defaultPort: 3000,
  at: new Date(0),
};

describe("deployRequestedMessage", () => {
  it("takes the app's port and release command over the plan's, and the plan's process types", () => {
    const message = deployRequestedMessage({
      ...base,
      plan: { port: 8080, processes: { web: null, worker: "node w.js" }, releaseCommand: "npm run migrate" },
      overrides: { port: 9090, releaseCommand: "node migrate.js" },
    });
    expect(deployRequestedV1.parse(message)).toEqual({
      type: "DeployRequested",
      version: 1,
      deploymentId: "dep_1",
      appId: "app_1",
      appName: "shop",
      image: base.image,
      port: 9090,
      processes: { web: null, worker: "node w.js" },
      releaseCommand: "node migrate.js",
      requestedAt: "1970-01-01T00:00:00.000Z",
    });
  });

  it("falls back to the plan, then the default port; a worker-only plan keeps the default port and no web", () => {
    const message = deployRequestedMessage({
      ...base,
      plan: { port: null, processes: { worker: "node w.js" }, releaseCommand: null },
      overrides: { port: null },
    });
    expect(deployRequestedV1.parse(message)).toMatchObject({
      port: 3000,
      processes: { worker: "node w.js" },
    });
    expect(message).not.toHaveProperty("releaseCommand");
  });

  it("carries neither processes nor a release command when the builder reported no plan", () => {
    const message = deployRequestedMessage({ ...base, plan: null, overrides: { port: null } });
    expect(message.port).toBe(3000);
    expect(message).not.toHaveProperty("processes");
    expect(message).not.toHaveProperty("releaseCommand");
  });
});
