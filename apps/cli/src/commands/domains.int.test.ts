import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildApi, loadConfig } from "@kli8nt/api";
import {
  createApiToken,
  createApp,
  createDomain,
  createUser,
  type Database,
  openTestDatabase,
  SecretBox,
  TEST_DATABASE_URL,
} from "@kli8nt/db";
import { failUnderCi } from "@kli8nt/testkit";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliRun, runCli } from "../testing.ts";

// `kli8nt domains` through the real entry point against the real api on a real PostgreSQL database.
const noPostgres = failUnderCi(
  !TEST_DATABASE_URL,
  "KLI8NT_TEST_DATABASE_URL is not set: run through `npm test` or `scripts/with-services.sh postgres`",
);

let dir: string;
let database: Database;
let api: FastifyInstance;
let url: string;
let token: string;

function kli8nt(args: string[]): Promise<CliRun> {
  return runCli(args, { url, token, configDir: path.join(dir, "cfg") });
}

describe.skipIf(noPostgres)("kli8nt domains", () => {
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "kli8nt-cli-domains-"));
    database = await openTestDatabase("postgres");
    const config = loadConfig({
      KLI8NT_DATA_DIR: dir,
      KLI8NT_LOG_LEVEL: "silent",
      KLI8NT_APP_URL_TEMPLATE: "http://{app}.apps.test",
    });
    api = await buildApi({
      config,
      db: database.db,
      box: new SecretBox(randomBytes(32)),
      onOutboxWrite: () => undefined,
    });
    url = await api.listen({ host: "127.0.0.1", port: 0 });
    const repository = { url: "https://example.com/ada/shop.git", branch: "main", rootDir: "." };
    const ada = await createUser(database.db, { login: "ada" });
    const eve = await createUser(database.db, { login: "eve" });
    token = (await createApiToken(database.db, ada.id, "cli")).token;
    await createApp(database.db, ada.id, { name: "shop", repository, port: null });
    const blog = await createApp(database.db, eve.id, { name: "blog", repository, port: null });
    // Another user's app holds this hostname already.
    await createDomain(database.db, blog.id, "taken.example.com", false);
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await database?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("adds, lists (table and --json) and removes a domain", async () => {
    const added = await kli8nt(["domains", "add", "shop", "WWW.Example.com"]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toBe("Added www.example.com (pending)\n");
    expect(added.stderr).toContain("CNAME record www.example.com → shop.apps.test");

    const table = await kli8nt(["domains", "list", "shop"]);
    expect(table.code, table.stderr).toBe(0);
    const [header, line] = table.stdout.split("\n");
    expect(header).toMatch(/^HOSTNAME\s+STATUS\s+DETAIL$/);
    expect(line).toMatch(/^www\.example\.com\s+pending\s+Create a CNAME record/);

    const json = await kli8nt(["domains", "list", "shop", "--json"]);
    const items = JSON.parse(json.stdout) as Array<{ hostname: string; status: string; target: string }>;
    expect(items).toMatchObject([
      { hostname: "www.example.com", status: "pending", target: "shop.apps.test" },
    ]);
    expect(json.stdout.trim().split("\n")).toHaveLength(1);

    const removed = await kli8nt(["domains", "remove", "shop", "www.example.com"]);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toBe("Removed www.example.com\n");
    const empty = await kli8nt(["domains", "list", "shop"]);
    expect(empty.stdout).toBe("");
    expect(empty.stderr).toBe("No custom domains\n");
  });

  it("exits per ADR 0197: 1 with the api's detail for a refusal, 3 when not found, 2 for usage", async () => {
    const taken = await kli8nt(["domains", "add", "shop", "taken.example.com"]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toBe("kli8nt: taken.example.com is already attached to an app\n");
    const invalid = await kli8nt(["domains", "add", "shop", "not a host"]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/^kli8nt: /);
    const wildcard = await kli8nt(["domains", "add", "shop", "*.example.com"]);
    expect(wildcard.code).toBe(1);
    expect(wildcard.stderr).toContain("administrator");
    expect((await kli8nt(["domains", "remove", "shop", "nope.example.com"])).code).toBe(3);
    expect((await kli8nt(["domains", "list", "blog"])).code).toBe(3);
    expect((await kli8nt(["domains", "add", "shop"])).code).toBe(2);
    expect((await kli8nt(["domains", "rename", "shop"])).code).toBe(2);
    expect((await kli8nt(["domains", "list", "shop", "--all"])).code).toBe(2);
  });
});
