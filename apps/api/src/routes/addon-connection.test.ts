import { createSession, updateAddon } from "@kli8nt/db";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AddonService } from "../addons/addon-service.ts";
import { bearer, createAppVia, type Harness, startHarness } from "../test/harness.ts";

// The connection reveal (ADR 0218) of a cluster add-on, on PGlite: its password lives only in the cluster's
// Secret, so the api answers where its pod runs for kli8nt psql (ADR 0228) instead. The reveal of a real
// add-on is tested against PostgreSQL in addons/addons.int.test.ts.
const PUBLIC_URL = "http://kli8nt.test";

describe("GET /api/apps/:name/addons/:id/connection in cluster mode", () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness(
      { KLI8NT_PUBLIC_URL: PUBLIC_URL },
      {
        addons: (db, box) =>
          new AddonService({
            db,
            box,
            server: null,
            inCluster: true,
            namespacePrefix: "team-",
            dumpDir: "/nonexistent",
            logger: pino({ level: "silent" }),
          }),
      },
    );
  });
  afterAll(() => h?.close());

  it("answers the add-on's pod (no password) to the owner, and is a 404 for anyone else", async () => {
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
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      cluster: {
        namespace: "team-vault",
        pod: "vault-postgres-0",
        container: "postgres",
        database: expect.stringMatching(/^app_vault_/),
        user: expect.stringMatching(/^app_vault_/),
      },
    });
    expect(res.body).not.toMatch(/password/i);
    const stranger = await h.app.inject({ url, headers: bearer(h.bob.token) });
    expect(stranger.statusCode).toBe(404);
    expect(stranger.headers["content-type"]).toContain("application/problem+json");
  });

  it("refuses a cookie-authenticated backup or restore request from another origin (403)", async () => {
    const session = await createSession(h.database.db, h.alice.user.id, 60_000);
    const list = await h.app.inject({ url: "/api/apps/vault/addons", headers: bearer(h.alice.token) });
    const id = list.json<{ items: Array<{ id: string }> }>().items[0]?.id ?? "";
    const send = (url: string, origin: string, payload?: object) =>
      h.app.inject({
        method: "POST",
        url,
        headers: { cookie: `kli8nt_session=${session}`, origin },
        ...(payload ? { payload } : {}),
      });
    const backups = `/api/apps/vault/addons/${id}/backups`;
    const evil = await send(backups, "https://evil.example");
    expect(evil.statusCode).toBe(403);
    expect(evil.headers["content-type"]).toContain("application/problem+json");
    expect((await send(backups, PUBLIC_URL)).statusCode).toBe(202);
    const fromDump = await send("/api/apps/vault/addons", "https://evil.example", {
      type: "postgres",
      fromDump: "bk_x",
    });
    expect(fromDump.statusCode).toBe(403);
  });
});
