import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createApp,
  type Database,
  ensureAdminUser,
  openTestDatabase,
  replaceEnv,
  SecretBox,
} from "@kli8nt/db";
import { createFileLogStore, type LogRecord } from "@kli8nt/logstore";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppSecrets } from "./app-secrets.ts";
import { maskAppSecrets } from "./mask-app-secrets.ts";

// Against a real (embedded) database and the real SecretBox: values are stored encrypted by the api's
// repository and must come back decrypted, per app, refreshed by deployment and by age.
describe("AppSecrets", () => {
  let database: Database;
  const box = new SecretBox(randomBytes(32));
  let appId = "";
  let clock = 0;

  beforeAll(async () => {
    database = await openTestDatabase("pglite");
    const owner = await ensureAdminUser(database.db);
    const app = await createApp(database.db, owner.id, {
      name: "shop",
      repository: { url: "https://github.com/acme/shop", branch: "main", rootDir: "." },
      port: null,
    });
    appId = app.id;
    await replaceEnv(database.db, box, appId, [
      { key: "DB_PASSWORD", value: "first-secret-value", secret: true },
      { key: "GREETING", value: "plain-hello", secret: false },
    ]);
  });

  afterAll(async () => {
    await database.close();
  });

  const setSecret = (value: string) =>
    replaceEnv(database.db, box, appId, [{ key: "DB_PASSWORD", value, secret: true }]);

  it("gives the decrypted secret values only, and the app id of a name", async () => {
    const secrets = new AppSecrets(database.db, box, { now: () => clock });
    expect(await secrets.valuesFor(appId, ["dep_1"])).toEqual(["first-secret-value"]);
    expect(await secrets.appIdOf("shop")).toBe(appId);
    expect(await secrets.appIdOf("gone")).toBe("gone");
  });

  it("reads again for a new deployment or after the TTL, and keeps masking replaced values", async () => {
    const secrets = new AppSecrets(database.db, box, { ttlMs: 1000, now: () => clock });
    await secrets.valuesFor(appId, ["dep_1"]);
    await setSecret("second-secret-value");
    // Same deployment, within the TTL: the cached values.
    expect(await secrets.valuesFor(appId, ["dep_1"])).toEqual(["first-secret-value"]);
    // A deployment not seen yet reads the database at once.
    expect(await secrets.valuesFor(appId, ["dep_1", "dep_2"])).toEqual([
      "first-secret-value",
      "second-secret-value",
    ]);
    await setSecret("third-secret-value");
    clock += 1000;
    expect(await secrets.valuesFor(appId, ["dep_2"])).toContain("third-secret-value");
  });

  it("masks a secret in every stored line, whatever the phase", async () => {
    await setSecret("fourth-secret-value");
    const store = createFileLogStore({ dataDir: mkdtempSync(join(tmpdir(), "kli8nt-mask-")) });
    const masked = maskAppSecrets(store, new AppSecrets(database.db, box));
    const record = (line: string, phase: LogRecord["phase"]): LogRecord => ({
      timestamp: new Date().toISOString(),
      appId,
      deploymentId: "dep_9",
      phase,
      source: "web-1/web",
      stream: "stdout",
      line,
    });
    await masked.append(appId, [
      record("connecting with fourth-secret-value", "run"),
      record("echo fourth-secret-value", "build"),
      record("plain-hello is not secret", "run"),
    ]);
    const lines = (await store.read(appId, {})).records.map((r) => r.line);
    expect(lines).toEqual(["connecting with ****", "echo ****", "plain-hello is not secret"]);
    await store.close();
  });
});
