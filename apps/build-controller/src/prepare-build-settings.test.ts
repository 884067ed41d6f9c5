import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { prepareBuild } from "./prepare-build.ts";
import { createLocalRepo, nodeAppFiles } from "./testing/local-repo.ts";

// Issue 26 / ADR 0156: the app's settings override the plan, and ADR 0010's Containerfile is honoured.
const scratch = () => mkdtempSync(join(tmpdir(), "kli8nt-prep-settings-"));

describe("prepareBuild with app settings", () => {
  it("builds a root Containerfile unchanged", async () => {
    const repo = createLocalRepo({ Containerfile: "FROM scratch\n", "a.txt": "x" });
    const prepared = await prepareBuild(repo.dir, scratch(), ".", {});
    expect(prepared.plan.provider).toBe("dockerfile");
    expect(prepared.dockerfile).toBe(join(repo.dir, "Containerfile"));
  });

  it("uses the Dockerfile path the settings give instead of detecting the stack", async () => {
    const repo = createLocalRepo({ ...nodeAppFiles("1"), "deploy/Containerfile.prod": "FROM scratch\n" });
    const prepared = await prepareBuild(repo.dir, scratch(), ".", {}, undefined, {
      dockerfilePath: "deploy/Containerfile.prod",
    });
    expect(prepared.plan.provider).toBe("dockerfile");
    expect(prepared.dockerfile).toBe(join(repo.dir, "deploy/Containerfile.prod"));
  });

  it("fails clearly when the settings name a Dockerfile the repository lacks", async () => {
    const repo = createLocalRepo(nodeAppFiles("1"));
    await expect(
      prepareBuild(repo.dir, scratch(), ".", {}, undefined, { dockerfilePath: "Dockerfile.missing" }),
    ).rejects.toMatchObject({ message: expect.stringMatching(/Dockerfile\.missing/) });
  });

  it("renders the settings' install, build and start commands in place of the plan's", async () => {
    const repo = createLocalRepo(nodeAppFiles("1"));
    const dir = scratch();
    const prepared = await prepareBuild(repo.dir, dir, ".", {}, undefined, {
      installCommand: "npm install --no-audit",
      buildCommand: "npm run compile",
      startCommand: "node server.js --prod",
    });
    expect(prepared.plan).toMatchObject({
      provider: "node",
      install: ["npm install --no-audit"],
      build: ["npm run compile"],
      start: "node server.js --prod",
    });
    const dockerfile = readFileSync(prepared.dockerfile, "utf8");
    expect(dockerfile).toContain("npm install --no-audit");
    expect(dockerfile).toContain("npm run compile");
    expect(dockerfile).toContain("node server.js --prod");
  });
});
