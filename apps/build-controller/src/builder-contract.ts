import { createHash, randomBytes } from "node:crypto";
import type { BuildRequested } from "@kli8nt/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Builder, BuildRequest, BuildResult } from "./builder.ts";
import { isBuildError } from "./errors.ts";
import { nodeAppFiles } from "./testing/local-repo.ts";

type Files = Record<string, string>;
/** How a harness that stands in for part of the build (kwok's kubelet) must end it. */
export type Outcome = { readonly kind: "succeed" } | { readonly kind: "fail"; readonly output: string };

/** One adapter prepared for the contract, with the hooks the suite needs beyond the port. */
export interface BuilderUnderTest {
  readonly builder: Builder;
  /** Makes `files` a repository the builder can clone, one commit on `main`. */
  repository(
    files: Files,
  ): Promise<{ readonly repository: BuildRequested["repository"]; readonly head: string }>;
  /**
   * Only where a test harness plays part of the build: ends the build of `request` as the real one would
   * for `files` (the local adapters build for real and have none).
   */
  readonly drive?: (request: BuildRequest, files: Files, outcome: Outcome) => Promise<void>;
  /** True when the image really is where the adapter keeps it (image store, release directory, registry). */
  imageExists(image: string): Promise<boolean>;
  /** Past the timeout, how long the adapter may take to stop a build (a Job controller's sync). */
  readonly stopWithinMs: number;
  dispose?(): Promise<void>;
}

/** A Node app with a Procfile: web, a worker and a release command. */
export const PROCFILE_APP: Files = {
  ...nodeAppFiles("contract"),
  Procfile: "web: node server.js\nworker: node worker.js\nrelease: node migrate.js\n",
  "worker.js": "setInterval(() => undefined, 1000);\n",
  "migrate.js": "console.log('migrated');\n",
};

/** A Node app whose build step fails with a message of its own. */
export const FAILING_APP: Files = withBuildScript("node fail.js", {
  "fail.js": 'console.error("broken build step: cannot find ./generated"); process.exit(3);\n',
});
/** What the failing build prints last, as a harness reports it. */
export const FAILING_OUTPUT = "error building image: broken build step: cannot find ./generated (fail.js)";

/** A Node app whose build step outlasts any test timeout. */
export const SLOW_APP: Files = withBuildScript("node slow.js", {
  "slow.js": "setTimeout(() => undefined, 600000);\n",
});

function withBuildScript(build: string, extra: Files): Files {
  const files = nodeAppFiles("contract");
  const pkg = JSON.parse(files["package.json"] ?? "{}") as { scripts: Record<string, string> };
  pkg.scripts.build = build;
  return { ...files, "package.json": JSON.stringify(pkg), ...extra };
}

/**
 * The Builder port's contract, run against every adapter (buildah and the process builder for real, the
 * Kaniko Job on the test cluster): a repository builds into an image with its plan's facts; a failing build
 * throws a BuildError with the reason; the same input builds the same result again; the timeout is honoured;
 * build args and secrets reach the build where the adapter supports them, and the secret no log line.
 */
export interface ContractOptions {
  /**
   * For adapters that pass build args and secrets (ADR 0157: to a repository's Dockerfile): a base image
   * for a Dockerfile that reads them. Absent: the case is not part of this adapter's contract.
   */
  readonly buildVarsBaseImage?: string | undefined;
  readonly timeoutMs?: number;
}

export function runBuilderContract(
  name: string,
  make: () => Promise<BuilderUnderTest>,
  options: ContractOptions = {},
) {
  const timeoutMs = options.timeoutMs ?? 300_000;
  describe(`Builder contract: ${name}`, { timeout: timeoutMs }, () => {
    let ut: BuilderUnderTest;
    beforeAll(async () => {
      ut = await make();
    }, timeoutMs);
    afterAll(async () => ut?.dispose?.());

    /** Starts a build of `files`; a harness ends it as `outcome` says (null: it does not end it). */
    async function build(files: Files, outcome: Outcome | null, extra: Partial<BuildRequest> = {}) {
      const { repository, head } = await ut.repository(files);
      const id = randomBytes(5).toString("hex");
      const lines: string[] = [];
      const request: BuildRequest = {
        deploymentId: `dep_${id}`,
        appId: `app_${id}`,
        appName: `contract-${id}`,
        repository,
        owner: "usr_contract",
        settings: {},
        timeoutMs: 240_000,
        onLine: (_stream, line) => void lines.push(line),
        ...extra,
      };
      const run = (r: BuildRequest) =>
        Promise.all([ut.builder.build(r), outcome && ut.drive?.(r, files, outcome)]).then(
          ([result]) => result,
        );
      return { request, head, lines, run, result: run(request) };
    }

    async function failure(result: Promise<BuildResult>) {
      const error = await result.then(
        () => new Error("the build succeeded"),
        (e: unknown) => e,
      );
      if (!isBuildError(error)) throw error;
      return error;
    }

    it("builds a repository into an image and returns the plan's facts and the commit", async () => {
      const b = await build(PROCFILE_APP, { kind: "succeed" });
      const result = await b.result;
      expect(result.image).not.toBe("");
      expect(await ut.imageExists(result.image)).toBe(true);
      expect(result.commitSha).toBe(b.head);
      expect(result.plan?.provider).toBe("node");
      expect(Object.keys(result.plan?.processes ?? {}).sort()).toEqual(["web", "worker"]);
      expect(result.plan?.processes?.worker).toBe("node worker.js");
      expect(result.plan?.releaseCommand).toBe("node migrate.js");
    });

    it("throws a BuildError with the build's own reason when the build fails", async () => {
      const b = await build(FAILING_APP, { kind: "fail", output: FAILING_OUTPUT });
      const error = await failure(b.result);
      expect(error.code).toBe("BUILD_FAILED");
      expect(error.message).toMatch(/fail\.js|broken build step/);
    });

    it("builds the same input again to the same image and facts (a redelivered build)", async () => {
      const b = await build(PROCFILE_APP, { kind: "succeed" });
      const first = await b.result;
      const second = await b.run(b.request);
      expect(second).toEqual(first);
      expect(await ut.imageExists(second.image)).toBe(true);
    });

    it("stops a build that outlasts its timeout with BUILD_TIMEOUT", async () => {
      const started = Date.now();
      // No harness ends this build: only the adapter's own deadline can.
      const b = await build(SLOW_APP, null, { timeoutMs: 5_000 });
      const error = await failure(b.result);
      expect(error.code).toBe("BUILD_TIMEOUT");
      expect(Date.now() - started).toBeLessThan(5_000 + ut.stopWithinMs);
    });

    const base = options.buildVarsBaseImage;
    if (base === undefined) return;
    it("passes build args and secrets to the build, and the secret to no log line", async () => {
      const secret = `s3cret-${randomBytes(6).toString("hex")}`;
      // The Dockerfile holds the secret's hash only: buildah echoes each step, and the log must stay clean.
      const hash = createHash("sha256").update(secret).digest("hex");
      const dockerfile = [
        `FROM ${base}`,
        "ARG GREETING",
        `RUN --mount=type=secret,id=API_KEY test "$GREETING" = "hi there" && test "$(sha256sum < /run/secrets/API_KEY | cut -c1-64)" = "${hash}"`,
        'CMD ["true"]',
        "",
      ].join("\n");
      const vars = { buildArgs: { GREETING: "hi there" }, buildSecrets: { API_KEY: secret } };
      const ok = await build({ Dockerfile: dockerfile }, { kind: "succeed" }, vars);
      expect(await ut.imageExists((await ok.result).image)).toBe(true);
      expect(ok.lines.join("\n")).not.toContain(secret);
      const wrong = await build(
        { Dockerfile: dockerfile },
        { kind: "fail", output: "test failed" },
        {
          buildArgs: { GREETING: "someone else" },
          buildSecrets: { API_KEY: secret },
        },
      );
      expect((await failure(wrong.result)).code).toBe("BUILD_FAILED");
    });
  });
}
