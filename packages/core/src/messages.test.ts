import { describe, expect, it } from "vitest";
import { messageTypeOf, parseMessage } from "./messages.ts";

const build = {
  type: "BuildRequested",
  version: 1,
  deploymentId: "dep_1",
  appId: "app_1",
  appName: "shop",
  repository: { url: "https://github.com/acme/shop", ref: "main", commitSha: null, rootDir: "." },
  requestedAt: "2026-01-01T00:00:00.000Z",
};

describe("message contracts", () => {
  it("parses a valid BuildRequested v1", () => {
    expect(parseMessage("BUILD", build).deploymentId).toBe("dep_1");
  });

  it("rejects unknown versions, unknown fields and wrong queues with MESSAGE_INVALID", () => {
    for (const bad of [
      { ...build, version: 2 },
      { ...build, token: "ghp_x" },
      { ...build, appId: 3 },
    ]) {
      expect(() => parseMessage("BUILD", bad)).toThrowError(
        expect.objectContaining({ code: "MESSAGE_INVALID" }),
      );
    }
    expect(() => parseMessage("DEPLOY", build)).toThrow(/DEPLOY does not match/);
  });

  it("lists what is wrong", () => {
    try {
      parseMessage("BUILD", { ...build, repository: { ...build.repository, commitSha: "xyz" } });
      expect.unreachable();
    } catch (error) {
      expect((error as { issues: { path: string }[] }).issues.map((i) => i.path)).toEqual([
        "repository.commitSha",
      ]);
    }
  });
});

describe("messageTypeOf", () => {
  it("names a body by its type and version, and falls back to the queue", () => {
    expect(messageTypeOf({ type: "BuildRequested", version: 1 }, "BUILD")).toBe("BuildRequested.v1");
    expect(messageTypeOf({ type: "DeploymentProgress" }, "INFORM")).toBe("DeploymentProgress.v1");
    expect(messageTypeOf({ id: 3 }, "DEPLOY")).toBe("DEPLOY");
    expect(messageTypeOf(null, "DEPLOY")).toBe("DEPLOY");
  });
});
