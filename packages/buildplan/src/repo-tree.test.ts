import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RepoTree } from "./repo-tree.ts";

// Detection reads files of an untrusted checkout: no symlink, at any depth, may lead it to a host file.
describe("RepoTree symlinks", () => {
  const host = mkdtempSync(join(tmpdir(), "kli8nt-host-"));
  writeFileSync(join(host, "Procfile"), "web: cat /etc/shadow\n");
  const repo = mkdtempSync(join(tmpdir(), "kli8nt-tree-"));
  mkdirSync(join(repo, "inside"));
  writeFileSync(join(repo, "inside", "Procfile"), "web: node server.js\n");
  symlinkSync(host, join(repo, "out"));
  symlinkSync(join(host, "Procfile"), join(repo, "Procfile"));
  symlinkSync("inside", join(repo, "in"));

  it("treats a file reached through a symlinked folder outside the tree as absent", async () => {
    const tree = await RepoTree.open(repo);
    expect(await tree.read("out/Procfile")).toBeNull();
    expect(await tree.isFile("out/Procfile")).toBe(false);
    expect(await tree.list("out")).toEqual([]);
    expect(tree.warnings.join("\n")).toMatch(/out\/Procfile: symlink points outside/);
  });

  it("treats a symlinked file outside the tree as absent, and follows links that stay inside", async () => {
    const tree = await RepoTree.open(repo);
    expect(await tree.read("Procfile")).toBeNull();
    expect(await tree.read("in/Procfile")).toBe("web: node server.js\n");
  });
});
