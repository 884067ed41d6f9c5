import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildApi, loadConfig } from "@kli8nt/api";
import { createApiToken, createUser, type Database, IN_MEMORY, openDatabase, SecretBox } from "@kli8nt/db";
import { createFileLogStore, type LogStore } from "@kli8nt/logstore";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../testing.ts";
import { isControl, terminalSafe } from "./terminal-safe.ts";

// What a hostile build can print: retitle the window, write the clipboard (OSC 52), clear the screen,
// switch to the alternate screen, a C1 CSI, a bidi override, and a colour that may stay.
const HOSTILE =
  "title \u001b]0;PWNED\u0007 clip \u001b]52;c;ZWNobyBwd25lZA==\u001b\\ clear \u001b[2J\u001b[H alt \u001b[?1049h " +
  "c1 \u009b31m bidi \u202egnp.exe red \u001b[31mred\u001b[0m bell \u0007 cr \r";
// Anything a terminal acts on: ESC, BEL, other C0 but \n and \t, DEL, C1 and the bidi controls.
const activeIn = (text: string) => [...text].filter((c) => isControl(c.charCodeAt(0)));

describe("terminalSafe", () => {
  it("makes every control sequence visible and inert, keeping colour only when asked", () => {
    const plain = terminalSafe(HOSTILE, false);
    expect(activeIn(plain)).toEqual([]);
    expect(plain).toContain(
      "title ^[]0;PWNED^G clip ^[]52;c;ZWNobyBwd25lZA==^[\\ clear ^[[2J^[[H alt ^[[?1049h",
    );
    expect(plain).toContain("c1 \\u009b31m bidi \\u202egnp.exe red red bell ^G cr ^M");
    const coloured = terminalSafe(HOSTILE, true);
    expect(coloured).toContain("red \u001b[31mred\u001b[0m bell");
    expect(activeIn(coloured.replaceAll("\u001b[31m", "").replaceAll("\u001b[0m", ""))).toEqual([]);
    expect(terminalSafe("line one\n\tline two\n", false)).toBe("line one\n\tline two\n");
  });

  it("leaves JSON output valid, with the same values", () => {
    const json = `${JSON.stringify({ line: HOSTILE })}\n`;
    const safe = terminalSafe(json, false);
    expect(activeIn(safe)).toEqual([]);
    expect(JSON.parse(safe)).toEqual({ line: HOSTILE });
  });
});

describe("kli8nt logs with a hostile build's output, through the real entry point and api", () => {
  let dir: string;
  let database: Database;
  let logs: LogStore;
  let api: FastifyInstance;
  let url: string;
  let token: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "kli8nt-cli-esc-"));
    database = await openDatabase({ dataDir: IN_MEMORY });
    logs = createFileLogStore({ dataDir: path.join(dir, "logs") });
    const config = loadConfig({ KLI8NT_DATA_DIR: dir, KLI8NT_LOG_LEVEL: "silent" });
    api = await buildApi({
      config,
      db: database.db,
      box: new SecretBox(randomBytes(32)),
      onOutboxWrite: () => undefined,
      logs,
    });
    url = await api.listen({ host: "127.0.0.1", port: 0 });
    const user = await createUser(database.db, { login: "mallory-victim" });
    token = (await createApiToken(database.db, user.id, "cli")).token;
    const created = await api.inject({
      method: "POST",
      url: "/api/apps",
      headers: { authorization: `Bearer ${token}` },
      payload: { name: "esc", repository: { url: "https://github.com/acme/esc", branch: "main" } },
    });
    const appId = created.json<{ id: string }>().id;
    await logs.append(appId, [
      {
        timestamp: new Date().toISOString(),
        appId,
        deploymentId: "dep_hostile",
        phase: "run",
        source: "web.1",
        stream: "stdout",
        line: HOSTILE,
      },
    ]);
  });
  afterAll(async () => {
    await api?.close();
    await logs?.close();
    await database?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("prints the line with its sequences shown, not obeyed; --json keeps the exact line", async () => {
    const options = { url, token, configDir: path.join(dir, "cfg") };
    const text = await runCli(["logs", "esc"], options);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("title ^[]0;PWNED^G clip ^[]52;c;");
    expect(activeIn(text.stdout)).toEqual([]);
    const json = await runCli(["logs", "esc", "--json"], options);
    expect(json.code).toBe(0);
    expect(activeIn(json.stdout)).toEqual([]);
    expect(JSON.parse(json.stdout.trim()).line).toBe(HOSTILE);
  });
});
