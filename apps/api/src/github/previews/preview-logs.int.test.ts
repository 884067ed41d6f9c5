import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findPreview, TEST_DATABASE_URL } from "@kli8nt/db";
import { createFileLogStore, type FileLogStore, type LogRecord } from "@kli8nt/logstore";
import { failUnderCi } from "@kli8nt/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, type GitHubTestEnv, startGitHubTestEnv } from "../test-env.ts";
import { removeExpiredPreviewLogs } from "./preview-logs.ts";

// A closed preview's logs (ADR 0203): kept for the app's retention after teardown, readable by pull request
// number, then removed by the retention pass, whose clock the test moves. The api on real PostgreSQL, the
// fake GitHub, and the file log store on a temporary folder.
const noPostgres = failUnderCi(
  !TEST_DATABASE_URL,
  "KLI8NT_TEST_DATABASE_URL is not set: run through `npm test` or `scripts/with-services.sh postgres`",
);
const DAY = 86_400_000;

let env: GitHubTestEnv;
let cookie: string;
let appId: string;
let dir: string;
let logs: FileLogStore;
/** The retention pass's clock: the api's pass runs every 50 ms on it. */
let clock = Date.now();

const call = (method: string, path: string, body?: unknown) =>
  fetch(`${env.url}${path}`, {
    method,
    headers: { cookie, origin: env.url, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });

const line = (previewAppId: string, text: string): LogRecord => ({
  timestamp: new Date().toISOString(),
  appId: previewAppId,
  deploymentId: "dep_1",
  phase: "run",
  source: "web",
  stream: "stdout",
  line: text,
});

interface ListBody {
  settings: { logRetentionDays: number };
  closed: Array<{ number: number; app: string; closedAt: string; logsUntil: string }>;
}
const list = async () => (await (await call("GET", "/api/apps/shop/previews")).json()) as ListBody;
const previewLogs = (n: number) => call("GET", `/api/apps/shop/previews/${n}/logs`);
const logDirs = () => (existsSync(dir) ? readdirSync(dir) : []);

/** Opens a pull request, writes a line to its preview's log as the log controller would, and closes it. */
async function openLogAndClose(head: string): Promise<{ number: number; previewAppId: string }> {
  const opened = await env.gh.openPullRequest("alice/shop", { head });
  const preview = await findPreview(env.database.db, appId, opened.number);
  const previewAppId = preview?.app.id ?? "";
  await logs.append(previewAppId, [line(previewAppId, `hello from #${opened.number}`)]);
  await env.gh.closePullRequest("alice/shop", opened.number);
  expect(await findPreview(env.database.db, appId, opened.number)).toBeNull();
  return { number: opened.number, previewAppId };
}

beforeAll(async () => {
  if (noPostgres) return;
  dir = mkdtempSync(join(tmpdir(), "kli8nt-preview-logs-"));
  logs = createFileLogStore({ dataDir: dir });
  env = await startGitHubTestEnv({
    postgres: true,
    logs,
    previewLogRetention: { everyMs: 50, now: () => new Date(clock) },
  });
  env.gh.addUser({ login: "alice" });
  await env.gh.addRepo({ owner: "alice", name: "shop", files: { "server.js": "v1" } });
  cookie = `kli8nt_session=${(await env.signIn("alice")).session}`;
  const res = await call("POST", "/api/apps", {
    name: "shop",
    repository: { url: `${env.gh.url}/alice/shop`, branch: "main" },
  });
  appId = ((await res.json()) as { id: string }).id;
  await eventually(() => expect(env.gh.hooks("alice/shop")).toHaveLength(1));
  expect((await call("PATCH", "/api/apps/shop", { previews: { mode: "all" } })).status).toBe(200);
});

afterAll(async () => {
  await env?.close();
  await logs?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(noPostgres)("a closed preview's logs", () => {
  it("are kept for 7 days by default, readable by pull request number, then removed by the retention pass", async () => {
    expect((await list()).settings.logRetentionDays).toBe(7);
    const { number, previewAppId } = await openLogAndClose("faster");
    const listed = await list();
    expect(listed.closed).toMatchObject([{ number, app: `shop-pr-${number}` }]);
    const closed = listed.closed[0];
    expect(Date.parse(closed?.logsUntil ?? "") - Date.parse(closed?.closedAt ?? "")).toBe(7 * DAY);
    const res = await previewLogs(number);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { records: Array<{ line: string }> }).records.map((r) => r.line)).toEqual([
      `hello from #${number}`,
    ]);

    // A settings change does not forget it (the closed list is state, not a setting).
    expect((await call("PATCH", "/api/apps/shop", { previews: { max: 3 } })).status).toBe(200);
    expect((await list()).closed.map((c) => c.number)).toEqual([number]);

    // Six days on, nothing goes; seven days on, the pass removes its log and forgets it.
    expect(await removeExpiredPreviewLogs({ ...env.deps, logs }, new Date(Date.now() + 6 * DAY))).toEqual([]);
    expect((await previewLogs(number)).status).toBe(200);
    clock = Date.now() + 7 * DAY + 1000;
    await eventually(async () => expect((await list()).closed).toEqual([]));
    const gone = await previewLogs(number);
    expect(gone.status).toBe(404);
    expect(gone.headers.get("content-type")).toContain("application/problem+json");
    expect(await gone.json()).toMatchObject({ code: "PREVIEW_LOGS_NOT_FOUND" });
    expect((await logs.read(previewAppId)).records).toEqual([]);
    clock = Date.now();
  });

  it("follows the app's retention setting: 0 removes them at teardown", async () => {
    expect((await call("PATCH", "/api/apps/shop", { previews: { logRetentionDays: 0 } })).status).toBe(200);
    expect((await list()).settings.logRetentionDays).toBe(0);
    const before = logDirs().length;
    const { number, previewAppId } = await openLogAndClose("gone-at-once");
    expect((await list()).closed).toEqual([]);
    expect((await previewLogs(number)).status).toBe(404);
    expect((await logs.read(previewAppId)).records).toEqual([]);
    expect(logDirs().length).toBeLessThanOrEqual(before);
    const refused = await call("PATCH", "/api/apps/shop", { previews: { logRetentionDays: 91 } });
    expect(refused.status).toBe(400);
    expect(refused.headers.get("content-type")).toContain("application/problem+json");
  });

  it("go with the app when it is deleted", async () => {
    expect((await call("PATCH", "/api/apps/shop", { previews: { logRetentionDays: 3 } })).status).toBe(200);
    const { previewAppId } = await openLogAndClose("kept-then-app-deleted");
    expect((await logs.read(previewAppId)).records).toHaveLength(1);
    expect((await call("DELETE", "/api/apps/shop")).status).toBe(204);
    expect((await logs.read(previewAppId)).records).toEqual([]);
  });
});
