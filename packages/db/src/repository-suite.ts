import { randomBytes } from "node:crypto";
import type { User } from "@kli8nt/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, deleteApp, getApp, listApps } from "./apps-repo.ts";
import {
  consumeSignInLink,
  createApiToken,
  createSignInLink,
  findUserByApiToken,
  revokeApiToken,
} from "./auth-repo.ts";
import type { Database } from "./database.ts";
import {
  createDeployment,
  getDeploymentForOwner,
  listDeployments,
  transitionDeployment,
} from "./deployments-repo.ts";
import { listEnv, replaceEnv, resolveEnv } from "./env-repo.ts";
import { countUnpublished, enqueueMessage, type OutboxMessage, relayOutboxBatch } from "./outbox.ts";
import { envVars } from "./schema.ts";
import { SecretBox } from "./secret-box.ts";
import { createUser } from "./users-repo.ts";

const repo = (name: string) => ({
  name,
  repository: { url: `https://github.com/acme/${name}`, branch: "main", rootDir: "." },
  port: null,
});

/** One suite, run against PGlite and PostgreSQL, so both drivers behave the same for every repository. */
export function runRepositorySuite(name: string, open: () => Promise<Database>, skip = false): void {
  describe.skipIf(skip)(`repositories on ${name}`, () => {
    let database: Database;
    let alice: User;
    let bob: User;
    const box = new SecretBox(randomBytes(32));

    beforeAll(async () => {
      database = await open();
      alice = await createUser(database.db, { login: "alice" });
      bob = await createUser(database.db, { login: "bob" });
    });
    afterAll(async () => database?.close());

    it("creates apps with unique names and hides other users' apps", async () => {
      const app = await createApp(database.db, alice.id, repo("shop"));
      expect(app.repository.branch).toBe("main");
      await expect(createApp(database.db, bob.id, repo("shop"))).rejects.toMatchObject({
        code: "APP_NAME_TAKEN",
      });
      await expect(getApp(database.db, bob.id, "shop")).rejects.toMatchObject({ code: "APP_NOT_FOUND" });
      await expect(deleteApp(database.db, bob.id, "shop")).rejects.toMatchObject({ code: "APP_NOT_FOUND" });
      expect((await listApps(database.db, bob.id)).items.length).toBe(0);
    });

    it("numbers deployments per app and writes the BUILD message in the same transaction", async () => {
      const app = await createApp(database.db, alice.id, repo("numbers"));
      const before = await countUnpublished(database.db);
      const [d1, d2] = await Promise.all([
        createDeployment(database.db, app, { trigger: "api" }),
        createDeployment(database.db, app, { trigger: "api" }),
      ]);
      expect([d1?.number, d2?.number].sort()).toEqual([1, 2]);
      expect(await countUnpublished(database.db)).toBe(before + 2);
      const listed = await listApps(database.db, alice.id);
      expect(listed.items.find((s) => s.app.name === "numbers")?.latestDeployment?.number).toBe(2);
      const first = await listApps(database.db, alice.id, { limit: 1 });
      expect(first.items.map((s) => s.app.name)).toEqual(["numbers"]);
      expect(first.nextCursor).toBe("numbers");
      const second = await listApps(database.db, alice.id, { limit: 1, after: "numbers" });
      expect(second.items.map((s) => s.app.name)).toEqual(["shop"]);
      expect(second.nextCursor).toBeNull();
      const page = await listDeployments(database.db, app.id, { limit: 1 });
      expect(page.items.map((d) => d.number)).toEqual([2]);
      expect(page.nextBefore).toBe(2);
      await expect(getDeploymentForOwner(database.db, bob.id, d1?.id ?? "")).rejects.toMatchObject({
        code: "DEPLOYMENT_NOT_FOUND",
      });
    });

    it("never publishes a message whose transaction rolled back", async () => {
      const before = await countUnpublished(database.db);
      await expect(
        database.db.transaction(async (tx) => {
          await enqueueMessage(tx, "BUILD", { doomed: true });
          throw new Error("rollback");
        }),
      ).rejects.toThrow("rollback");
      expect(await countUnpublished(database.db)).toBe(before);
    });

    it("relays committed messages in order, retrying after a failed publish", async () => {
      const seen: OutboxMessage[] = [];
      let fail = true;
      const publish = async (m: OutboxMessage) => {
        if (fail) {
          fail = false;
          throw new Error("broker down");
        }
        seen.push(m);
      };
      expect(await relayOutboxBatch(database.db, publish)).toBe(0);
      while ((await relayOutboxBatch(database.db, publish)) > 0);
      expect(await countUnpublished(database.db)).toBe(0);
      expect(seen.length).toBeGreaterThanOrEqual(2);
      expect(seen.every((m) => m.queue === "BUILD")).toBe(true);
    });

    it("moves a deployment once per step and rejects illegal transitions", async () => {
      const app = await createApp(database.db, alice.id, repo("states"));
      const d = await createDeployment(database.db, app, { trigger: "api" });
      const building = await transitionDeployment(database.db, d.id, "build:building", "building");
      expect(building?.state).toBe("building");
      expect(await transitionDeployment(database.db, d.id, "build:building", "building")).toBeNull();
      await expect(transitionDeployment(database.db, d.id, "deploy:live", "live")).rejects.toMatchObject({
        code: "DEPLOYMENT_TRANSITION_INVALID",
      });
      // The rejected step rolled back, so a legal retry of the same step still applies.
      await transitionDeployment(database.db, d.id, "build:built", "built", { image: "sha256:abc" });
      await transitionDeployment(database.db, d.id, "deploy:deploying", "deploying");
      const live = await transitionDeployment(database.db, d.id, "deploy:live", "live", { url: "http://x" });
      expect(live).toMatchObject({ state: "live", image: "sha256:abc", url: "http://x" });
      expect(live?.finishedAt).toBeInstanceOf(Date);
    });

    it("encrypts secret env values at rest and never lists them", async () => {
      const app = await createApp(database.db, alice.id, repo("env"));
      const listed = await replaceEnv(database.db, box, app.id, [
        { key: "PUBLIC_URL", value: "https://x", secret: false },
        { key: "API_KEY", value: "s3cr3t-value", secret: true },
      ]);
      expect(listed).toEqual([
        { key: "API_KEY", value: null, secret: true, build: false, preview: "include" },
        { key: "PUBLIC_URL", value: "https://x", secret: false, build: false, preview: "include" },
      ]);
      const raw = await database.db.select().from(envVars);
      expect(JSON.stringify(raw)).not.toContain("s3cr3t-value");
      // Saving the form without the secret's value keeps it (and takes the new build flag, ADR 0157).
      await replaceEnv(database.db, box, app.id, [
        { key: "API_KEY", value: null, secret: true, build: true },
      ]);
      expect(await resolveEnv(database.db, box, app.id)).toEqual([
        { key: "API_KEY", value: "s3cr3t-value", secret: true, build: true, preview: "include" },
      ]);
      await expect(
        replaceEnv(database.db, box, app.id, [{ key: "NEW", value: null, secret: true }]),
      ).rejects.toMatchObject({ code: "ENV_VALUE_REQUIRED" });
      expect((await listEnv(database.db, app.id)).map((v) => v.key)).toEqual(["API_KEY"]);
    });

    it("stores API tokens hashed, single-use sign-in links, and revocation", async () => {
      const { token, record } = await createApiToken(database.db, alice.id, "ci");
      expect(token.startsWith("k8t_")).toBe(true);
      expect((await findUserByApiToken(database.db, token))?.id).toBe(alice.id);
      expect(await findUserByApiToken(database.db, `${token}x`)).toBeNull();
      expect(await revokeApiToken(database.db, alice.id, record.id)).toBe(true);
      expect(await findUserByApiToken(database.db, token)).toBeNull();
      const link = await createSignInLink(database.db, alice.id, 60_000);
      const results = await Promise.all([
        consumeSignInLink(database.db, link),
        consumeSignInLink(database.db, link),
      ]);
      expect(results.filter(Boolean)).toEqual([alice.id]);
    });
  });
}
