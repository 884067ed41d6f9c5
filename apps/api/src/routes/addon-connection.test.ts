import { updateAddon } from "@kli8nt/db";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AddonService } from "../addons/addon-service.ts";
import { bearer, createAppVia, type Harness, startHarness } from "../test/harness.ts";

// The connection reveal (ADR 0218) where there is nothing to reveal, on PGlite: a cluster add-on's password
// lives only in the cluster's Secret, so the api says where it is instead of a bare "not ready". The reveal
// of a real add-on is tested against PostgreSQL in addons/addons.int.test.ts.
describe("GET /api/apps/:name/addons/:id/connection in cluster mode", () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness(
      {},
      {
        addons: (db, box) =>
          new AddonService({
            db,
            box,
            server: null,
            inCluster: true,
            dumpDir: "/nonexistent",
            logger: pino({ level: "silent" }),
          }),
      },
    );
  });
  afterAll(() => h?.close());

  it("says the password is in the cluster's Secret (409), and is a 404 for anyone but the owner", async () => {
    await createAppVia(h.app, h.alice.token, "vault");
    const created = await h.app.inject({
      method: "POST",
      url: "/api/apps/vault/addons",
      headers: bearer(h.alice.token),
      payload: { type: "postgres" },
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json<{ id: string }>().id;
    // As the deploy controller records it once its pod is Ready.
    await updateAddon(h.database.db, id, { status: "ready", host: "vault-postgres", port: 5432 });
    const url = `/api/apps/vault/addons/${id}/connection`;

    const res = await h.app.inject({ url, headers: bearer(h.alice.token) });
    expect(res.statusCode).toBe(409);
    expect(res.headers["content-type"]).toContain("application/problem+json");
    expect(res.json<{ code: string; detail: string }>()).toMatchObject({
      code: "ADDON_PASSWORD_IN_CLUSTER",
      detail: expect.stringContaining("Secret"),
    });
    const stranger = await h.app.inject({ url, headers: bearer(h.bob.token) });
    expect(stranger.statusCode).toBe(404);
  });
});
