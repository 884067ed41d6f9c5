import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "./apps-repo.ts";
import type { Database } from "./database.ts";
import {
  createDomain,
  deleteAppDomain,
  domainCertificate,
  domainRoutes,
  findDomain,
  loadAcmeAccount,
  recordCertificate,
  recordDomainFailure,
  saveAcmeAccount,
} from "./domains-repo.ts";
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

describe("domains repository", () => {
  it("holds a hostname for one app across users, stores the certificate encrypted, deletes it", async () => {
    const db = database.db;
    const alice = await createUser(db, { login: "dom-alice" });
    const bob = await createUser(db, { login: "dom-bob" });
    const shop = await createApp(db, alice.id, { name: "shop", repository: repo, port: null });
    const blog = await createApp(db, bob.id, { name: "blog", repository: repo, port: null });
    const row = await createDomain(db, shop.id, "www.example.test", false);
    await expect(createDomain(db, blog.id, "www.example.test", false)).rejects.toMatchObject({
      code: "DOMAIN_TAKEN",
    });
    expect(await domainRoutes(db)).toEqual([
      { id: row.id, hostname: "www.example.test", appName: "shop", status: "pending" },
    ]);

    await recordDomainFailure(db, row.id, {
      detail: "challenge failed",
      attempts: 1,
      nextAttemptAt: new Date(),
      keepActive: false,
    });
    expect((await findDomain(db, row.id))?.status).toBe("error");

    const issuedAt = new Date();
    await recordCertificate(db, box, row.id, {
      chainPem: "CHAIN",
      keyPem: "PRIVATE KEY",
      issuer: "Pebble",
      serial: "01",
      issuedAt,
      notAfter: new Date(issuedAt.getTime() + 60_000),
    });
    const active = await findDomain(db, row.id);
    expect(active).toMatchObject({ status: "active", detail: null, attempts: 0 });
    expect(active?.certKeyEnc).not.toContain("PRIVATE KEY");
    expect(active && domainCertificate(box, active)).toEqual({ chainPem: "CHAIN", keyPem: "PRIVATE KEY" });

    await expect(deleteAppDomain(db, blog.id, "www.example.test")).rejects.toMatchObject({
      code: "DOMAIN_NOT_FOUND",
    });
    await deleteAppDomain(db, shop.id, "www.example.test");
    expect(await findDomain(db, row.id)).toBeUndefined();
  });

  it("keeps one ACME account per directory, its key encrypted", async () => {
    const db = database.db;
    const directoryUrl = "https://acme.example.test/dir";
    expect(await loadAcmeAccount(db, box, directoryUrl)).toBeUndefined();
    await saveAcmeAccount(db, box, { directoryUrl, accountKeyPem: "K1", accountUrl: null, email: null });
    await saveAcmeAccount(db, box, { directoryUrl, accountKeyPem: "K2", accountUrl: "u", email: null });
    expect(await loadAcmeAccount(db, box, directoryUrl)).toEqual({ accountKeyPem: "K2", accountUrl: "u" });
  });
});
