import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BuildRequested } from "@kli8nt/core";
import {
  createApp,
  createDeployment,
  type Database,
  ensureAdminUser,
  openTestDatabase,
  relayOutboxBatch,
} from "@kli8nt/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDeployment } from "./deployment-rows.ts";
import { localTestHandler } from "./testing/local-handler.ts";
import { createLocalRepo, nodeAppFiles } from "./testing/local-repo.ts";

// ADR 0137: a repository may commit a symlink to any host path. Real git clones, real PGlite, the process
// builder: the build must fail with a reason (or ignore the link), and never read or write the host path.
let database: Database;
const work = mkdtempSync(join(tmpdir(), "kli8nt-symlink-test-"));

beforeAll(async () => {
  database = await openTestDatabase("pglite");
});
afterAll(async () => database.close());

/** A host folder that looks like a deployable app: what a hostile repository would point at. */
function hostDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "kli8nt-host-"));
  for (const [name, text] of Object.entries(nodeAppFiles("host"))) writeFileSync(join(dir, name), text);
  return dir;
}

/** Commits `links` (path → target) as symlinks on top of `files`. */
function repoWithLinks(files: Record<string, string>, links: Record<string, string>) {
  const repo = createLocalRepo(files);
  for (const [path, target] of Object.entries(links)) symlinkSync(target, join(repo.dir, path));
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: repo.dir });
  git("add", "-A");
  git("commit", "--quiet", "-m", "links");
  return repo;
}

async function build(name: string, url: string, rootDir: string) {
  const admin = await ensureAdminUser(database.db);
  const app = await createApp(database.db, admin.id, {
    name,
    repository: { url, branch: "main", rootDir },
    port: null,
  });
  await createDeployment(database.db, app, { trigger: "api" });
  let message: BuildRequested | undefined;
  await relayOutboxBatch(database.db, async (m) => {
    if (m.queue === "BUILD") message = m.payload as BuildRequested;
  });
  if (!message) throw new Error("no BUILD message");
  await localTestHandler(database.db, work)(message);
  return loadDeployment(database.db, message.deploymentId);
}

describe("symlinks out of the repository", () => {
  it("fails the build when the root directory is a symlink to a host folder, and writes nothing there", async () => {
    const host = hostDir();
    const before = readdirSync(host).sort();
    const repo = repoWithLinks({ "README.md": "hostile" }, { app: host });
    const row = await build("symlink-root", repo.dir, "app");
    expect(row?.state).toBe("failed");
    expect(row?.reason).toMatch(/root directory "app" is a symlink that leads outside the repository/);
    expect(readdirSync(host).sort()).toEqual(before);
    expect(existsSync(join(host, ".dockerignore"))).toBe(false);
  });

  it("fails the build when a folder on the way to the root directory is a symlink out", async () => {
    const host = mkdtempSync(join(tmpdir(), "kli8nt-host-"));
    const inner = join(host, "inner");
    execFileSync("mkdir", [inner]);
    for (const [name, text] of Object.entries(nodeAppFiles("host"))) writeFileSync(join(inner, name), text);
    const repo = repoWithLinks({ "README.md": "hostile" }, { sub: host });
    const row = await build("symlink-parent", repo.dir, "sub/inner");
    expect(row?.state).toBe("failed");
    expect(row?.reason).toMatch(/symlink that leads outside the repository/);
    expect(existsSync(join(inner, ".dockerignore"))).toBe(false);
  });

  it("never writes the rendered .dockerignore through a symlink the repository committed", async () => {
    const victim = join(mkdtempSync(join(tmpdir(), "kli8nt-host-")), "victim.txt");
    writeFileSync(victim, "host file\n");
    const repo = repoWithLinks(nodeAppFiles("v1"), { ".dockerignore": victim });
    const row = await build("symlink-ignore", repo.dir, ".");
    expect(row?.state).toBe("built");
    expect(readFileSync(victim, "utf8")).toBe("host file\n");
  });
});
