import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildApi, loadConfig } from "@kli8nt/api";
import { createApiToken, createUser, type Database, IN_MEMORY, openDatabase, SecretBox } from "@kli8nt/db";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliRun, runCli } from "../testing.ts";

// Runs the real `kli8nt` entry point (bin/kli8nt.js → main.ts) as a child process against a real api.

let dir: string;
let database: Database;
let api: FastifyInstance;
let url: string;
let seed: string;

function kli8nt(args: string[], token: string | undefined): Promise<CliRun> {
  return runCli(args, { url, token, configDir: path.join(dir, "cfg") });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "kli8nt-tokens-"));
  database = await openDatabase({ dataDir: IN_MEMORY });
  const config = loadConfig({ KLI8NT_DATA_DIR: dir, KLI8NT_LOG_LEVEL: "silent" });
  api = await buildApi({
    config,
    db: database.db,
    box: new SecretBox(randomBytes(32)),
    onOutboxWrite: () => undefined,
  });
  url = await api.listen({ host: "127.0.0.1", port: 0 });
  const user = await createUser(database.db, { login: "dana" });
  seed = (await createApiToken(database.db, user.id, "seed")).token;
});
afterAll(async () => {
  await api?.close();
  await database?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("kli8nt tokens through the real entry point", () => {
  it("creates a token, uses it, lists without its value, revokes it; then it exits 4", async () => {
    const created = await kli8nt(["tokens", "create", "ci", "--expires-in-days", "30"], seed);
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^k8t_[A-Za-z0-9_-]+$/);
    expect(created.stderr).toContain('"ci"');

    expect((await kli8nt(["apps"], token)).code).toBe(0);

    const listed = await kli8nt(["tokens", "list", "--json"], token);
    expect(listed.code).toBe(0);
    expect(listed.stdout).not.toContain(token);
    const items = JSON.parse(listed.stdout) as { id: string; name: string; lastUsedAt: string | null }[];
    const mine = items.find((t) => t.name === "ci");
    expect(mine?.lastUsedAt).not.toBeNull();

    const revoked = await kli8nt(["tokens", "revoke", mine?.id ?? "?"], seed);
    expect(revoked.code).toBe(0);
    const refused = await kli8nt(["apps"], token);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/revoked/);
  }, 120_000);

  it("exits 2 on a usage mistake and 4 when not logged in", async () => {
    expect((await kli8nt(["tokens", "create", "ci", "--expires-in-days", "400"], seed)).code).toBe(2);
    expect((await kli8nt(["tokens", "list"], undefined)).code).toBe(4);
    const unknown = await kli8nt(["tokens", "revoke", "tok_nope"], seed);
    expect(unknown.code, unknown.stderr).toBe(3);
    expect(unknown.stderr).toContain("tok_nope");
  }, 120_000);
});
