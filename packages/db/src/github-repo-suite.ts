import type { User } from "@kli8nt/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "./apps-repo.ts";
import type { Database } from "./database.ts";
import { createDeployment, listDeployments } from "./deployments-repo.ts";
import {
  commitDeployed,
  consumePendingSignIn,
  createPendingSignIn,
  findDeploymentById,
  findGitHubAccountByGitHubId,
  findGitHubHook,
  getGitHubAccount,
  markGitHubTokenInvalid,
  onceForDelivery,
  saveGitHubAccount,
  saveGitHubHook,
} from "./github-repo.ts";
import { countUnpublished } from "./outbox.ts";
import { createUser } from "./users-repo.ts";

/** Run against PGlite (github-repo.test.ts) and PostgreSQL (github-repo.int.test.ts). */
export function runGitHubRepoSuite(name: string, open: () => Promise<Database>, skip = false): void {
  describe.skipIf(skip)(`github repository on ${name}`, () => {
    let database: Database;
    let alice: User;
    beforeAll(async () => {
      database = await open();
      alice = await createUser(database.db, { login: "alice" });
    });
    afterAll(async () => database?.close());

    it("saves an account, marks its token invalid, and a new sign-in makes it valid again", async () => {
      const input = {
        userId: alice.id,
        githubId: 42,
        login: "alice",
        scopes: ["repo"],
        accessTokenEnc: "v1.sealed",
        refreshTokenEnc: null,
        tokenExpiresAt: null,
      };
      await saveGitHubAccount(database.db, input);
      await markGitHubTokenInvalid(database.db, alice.id);
      expect((await getGitHubAccount(database.db, alice.id))?.tokenValid).toBe(false);
      await saveGitHubAccount(database.db, { ...input, accessTokenEnc: "v1.other" });
      const row = await findGitHubAccountByGitHubId(database.db, 42);
      expect(row).toMatchObject({ userId: alice.id, tokenValid: true, accessTokenEnc: "v1.other" });
    });

    it("hands a pending sign-in out once, and never after it expired", async () => {
      const pending = {
        bindingHash: "b1",
        state: "s",
        codeVerifierEnc: "v",
        linkUserId: null,
        expiresAt: new Date(Date.now() + 60_000),
      };
      await createPendingSignIn(database.db, pending);
      const [first, second] = await Promise.all([
        consumePendingSignIn(database.db, "b1"),
        consumePendingSignIn(database.db, "b1"),
      ]);
      expect([first, second].filter(Boolean)).toHaveLength(1);
      await createPendingSignIn(database.db, { ...pending, bindingHash: "b2", expiresAt: new Date(0) });
      expect(await consumePendingSignIn(database.db, "b2")).toBeNull();
    });

    it("finds a hook by its GitHub id", async () => {
      await saveGitHubHook(database.db, {
        appId: "app_x",
        userId: alice.id,
        repoFullName: "alice/shop",
        hookId: 7,
        lastError: null,
      });
      expect((await findGitHubHook(database.db, 7))?.appId).toBe("app_x");
      expect(await findGitHubHook(database.db, 8)).toBeNull();
    });

    it("acts once per delivery id, and records nothing when the action fails", async () => {
      const app = await createApp(database.db, alice.id, {
        name: "once",
        repository: { url: "https://github.com/alice/once", branch: "main", rootDir: "." },
        port: null,
      });
      const outboxBefore = await countUnpublished(database.db);
      const deploy = (tx: typeof database.db) => createDeployment(tx, app, { trigger: "push" });
      await expect(
        onceForDelivery(database.db, { id: "d1", event: "push" }, async (tx) => {
          await deploy(tx);
          throw new Error("boom");
        }),
      ).rejects.toThrow("boom");
      const first = await onceForDelivery(database.db, { id: "d1", event: "push" }, deploy);
      const again = await onceForDelivery(database.db, { id: "d1", event: "push" }, deploy);
      expect(first.duplicate).toBe(false);
      expect(again.duplicate).toBe(true);
      expect((await listDeployments(database.db, app.id, { limit: 10 })).items).toHaveLength(1);
      expect(await countUnpublished(database.db)).toBe(outboxBefore + 1);
      if (first.duplicate) throw new Error("unreachable");
      expect((await findDeploymentById(database.db, first.result.id))?.trigger).toBe("push");
      expect(await findDeploymentById(database.db, "dep_missing")).toBeNull();
    });

    it("tells whether an app was deployed from a commit, and from which", async () => {
      const app = await createApp(database.db, alice.id, {
        name: "commits",
        repository: { url: "https://github.com/alice/commits", branch: "main", rootDir: "." },
        port: null,
      });
      const sha = "a".repeat(40);
      await createDeployment(database.db, app, { trigger: "api" });
      expect(await commitDeployed(database.db, app.id, sha)).toEqual({
        deployedBefore: false,
        commitDeployed: false,
      });
      await createDeployment(database.db, app, { trigger: "push", commitSha: sha });
      expect(await commitDeployed(database.db, app.id, sha)).toEqual({
        deployedBefore: true,
        commitDeployed: true,
      });
      expect(await commitDeployed(database.db, app.id, "b".repeat(40))).toMatchObject({
        commitDeployed: false,
      });
    });
  });
}
