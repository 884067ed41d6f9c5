import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  getBackup,
  latestBackupAt,
  listAddonBackups,
  listFinalDumps,
  markBackup,
  markRestore,
  pendingBackups,
  pendingRestores,
  requestAddonDeletion,
  requestBackup,
  requestRestore,
} from "./addon-backups-repo.ts";
import { createAddon, deleteAddonRow, findAddon, updateAddon } from "./addons-repo.ts";
import { createApp } from "./apps-repo.ts";
import type { Database } from "./database.ts";
import { SecretBox } from "./secret-box.ts";
import { openTestDatabase } from "./testing.ts";
import { createUser } from "./users-repo.ts";

let database: Database;
const box = new SecretBox(randomBytes(32));
beforeAll(async () => {
  database = await openTestDatabase("pglite");
});
afterAll(() => database.close());

const repo = { url: "https://example.com/r.git", branch: "main", rootDir: "." };

describe("add-on backups repository", () => {
  it("requests, marks and lists backups; a final dump outlives its add-on", async () => {
    const db = database.db;
    const alice = await createUser(db, { login: "bk-alice" });
    const shop = await createApp(db, alice.id, { name: "shop", repository: repo, port: null });
    const addon = await createAddon(db, box, shop, "postgres", { passwordInCluster: true });
    expect(await latestBackupAt(db, addon.id)).toBeNull();

    const manual = await requestBackup(db, {
      appId: shop.id,
      addonId: addon.id,
      database: addon.database,
      kind: "manual",
    });
    expect(manual).toMatchObject({ status: "requested", sizeBytes: null, finishedAt: null });
    expect(manual.id).toMatch(/^bk_[0-9a-f]{32}$/);
    expect((await pendingBackups(db)).map((r) => r.id)).toEqual([manual.id]);

    await markBackup(db, manual.id, { status: "running" });
    expect((await getBackup(db, manual.id))?.finishedAt).toBeNull();
    await markBackup(db, manual.id, { status: "done", sizeBytes: 4096, location: "pvc:shop-backups/x.sql" });
    const done = await getBackup(db, manual.id);
    expect(done).toMatchObject({ status: "done", sizeBytes: 4096, location: "pvc:shop-backups/x.sql" });
    expect(done?.finishedAt).toBeInstanceOf(Date);
    expect(await pendingBackups(db)).toEqual([]);
    expect(await latestBackupAt(db, addon.id)).toEqual(manual.createdAt);

    const final = await requestBackup(db, {
      appId: shop.id,
      addonId: addon.id,
      database: addon.database,
      kind: "final",
    });
    expect((await listAddonBackups(db, addon.id)).map((r) => r.id)).toEqual([final.id, manual.id]);
    await deleteAddonRow(db, addon.id);
    const dumps = await listFinalDumps(db, shop.id);
    expect(dumps.map((r) => [r.id, r.addonId])).toEqual([[final.id, null]]);
  });

  it("requests one restore at a time, of a finished backup of the same app, into a ready add-on", async () => {
    const db = database.db;
    const bob = await createUser(db, { login: "bk-bob" });
    const blog = await createApp(db, bob.id, { name: "blog", repository: repo, port: null });
    const other = await createApp(db, bob.id, { name: "other", repository: repo, port: null });
    const addon = await createAddon(db, box, blog, "postgres", { passwordInCluster: true });
    const backup = await requestBackup(db, {
      appId: blog.id,
      addonId: addon.id,
      database: addon.database,
      kind: "manual",
    });
    const foreign = await requestBackup(db, { appId: other.id, addonId: null, database: "x", kind: "final" });
    await markBackup(db, foreign.id, { status: "done" });

    await expect(requestRestore(db, addon.id, backup.id)).rejects.toMatchObject({ code: "BACKUP_NOT_DONE" });
    await markBackup(db, backup.id, { status: "done" });
    await expect(requestRestore(db, addon.id, backup.id)).rejects.toMatchObject({ code: "ADDON_NOT_READY" });
    await updateAddon(db, addon.id, { status: "ready" });
    await expect(requestRestore(db, addon.id, foreign.id)).rejects.toMatchObject({
      code: "BACKUP_NOT_FOUND",
    });
    await expect(requestRestore(db, addon.id, "bk_nope")).rejects.toMatchObject({ code: "BACKUP_NOT_FOUND" });

    const row = await requestRestore(db, addon.id, backup.id);
    expect(row).toMatchObject({
      restoreBackupId: backup.id,
      restoreStatus: "requested",
      restoreDetail: null,
    });
    await expect(requestRestore(db, addon.id, backup.id)).rejects.toMatchObject({
      code: "RESTORE_IN_PROGRESS",
    });
    expect((await pendingRestores(db)).map((r) => r.id)).toEqual([addon.id]);
    await markRestore(db, addon.id, { status: "error", detail: "pg_restore failed" });
    expect(await pendingRestores(db)).toEqual([]);
    expect((await findAddon(db, addon.id))?.restoreDetail).toBe("pg_restore failed");
    await requestRestore(db, addon.id, backup.id);
    expect((await findAddon(db, addon.id))?.restoreDetail).toBeNull();
  });

  it("creates an add-on with a restore of a final dump already requested", async () => {
    const db = database.db;
    const carol = await createUser(db, { login: "bk-carol" });
    const app = await createApp(db, carol.id, { name: "notes", repository: repo, port: null });
    const addon = await createAddon(db, box, app, "postgres", {
      passwordInCluster: true,
      restoreBackupId: "bk_0123",
    });
    expect(addon).toMatchObject({ restoreBackupId: "bk_0123", restoreStatus: "requested" });
  });

  it("marks an add-on deleting with one final dump request, however often it is asked", async () => {
    const db = database.db;
    const dan = await createUser(db, { login: "bk-dan" });
    const app = await createApp(db, dan.id, { name: "wiki", repository: repo, port: null });
    const addon = await createAddon(db, box, app, "postgres", { passwordInCluster: true });
    const final = await requestAddonDeletion(db, addon.id);
    expect(final).toMatchObject({ kind: "final", status: "requested", addonId: addon.id, appId: app.id });
    expect((await findAddon(db, addon.id))?.status).toBe("deleting");
    expect((await requestAddonDeletion(db, addon.id)).id).toBe(final.id);
    expect((await listFinalDumps(db, app.id)).length).toBe(1);
    await expect(requestAddonDeletion(db, "adn_nope")).rejects.toMatchObject({ code: "ADDON_NOT_FOUND" });
  });
});
