import { randomBytes } from "node:crypto";
import {
  addonEnv,
  createApp,
  createUser,
  findAddon,
  openTestDatabase,
  PASSWORD_IN_CLUSTER,
  SecretBox,
} from "@kli8nt/db";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AddonService } from "./addon-service.ts";

// The api's side of cluster add-ons (ADR 0226), on PGlite: rows only, no password in them, no variables
// derived from them (the app's Deployment reads the cluster's Secret), and what needs a server refused.
describe("AddonService in cluster mode", () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let service: AddonService;
  const box = new SecretBox(randomBytes(32));

  beforeAll(async () => {
    db = await openTestDatabase("pglite");
    service = new AddonService({
      db: db.db,
      box,
      server: null,
      inCluster: true,
      dumpDir: "/nonexistent",
      logger: pino({ level: "silent" }),
    });
  });
  afterAll(() => db.close());

  it("records the add-on without a password, derives no variables, and forgets it on a confirmed delete", async () => {
    const owner = await createUser(db.db, { login: "cluster-owner" });
    const app = await createApp(db.db, owner.id, {
      name: "shop",
      repository: { url: "https://github.com/acme/shop", branch: "main", rootDir: "." },
      port: null,
    });
    expect(service.available).toBe(true);
    const row = await service.create(app, "postgres");
    expect(row.status).toBe("provisioning");
    expect(row.passwordEnc).toBe(PASSWORD_IN_CLUSTER);
    // Even once the controller records it ready, nothing is derived from the row.
    expect(addonEnv(box, { ...row, status: "ready", host: "x", port: 5432 })).toEqual([]);

    await expect(service.backup(app, row.id)).rejects.toMatchObject({ code: "ADDON_UNSUPPORTED_IN_CLUSTER" });
    await expect(service.remove(app, row.id, undefined)).rejects.toMatchObject({
      code: "ADDON_CONFIRM_REQUIRED",
    });
    const removed = await service.remove(app, row.id, "shop");
    expect(removed.dumpPath).toBe("persistentvolumeclaim/data-shop-postgres-0");
    expect(await findAddon(db.db, row.id)).toBeUndefined();
  });
});
