import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runBuilderContract } from "../builder-contract.ts";
import { localBuilder } from "../local-builder.ts";
import { createLocalRepo } from "../testing/local-repo.ts";
import { PROCESS_IMAGE_PREFIX, PROCESS_RELEASE_FILE, processImageBuild } from "./process-builder.ts";

// The process builder on this machine (no container tools): real git, real npm, real host processes.
runBuilderContract("process", async () => {
  const work = mkdtempSync(join(tmpdir(), "kli8nt-process-contract-"));
  const builder = localBuilder(processImageBuild({ releasesDir: join(work, "releases") }), {
    workRoot: join(work, "builds"),
    allowLocalRepos: true,
    cloneTimeoutMs: 30_000,
    baseImages: {},
  });
  return {
    builder,
    repository: async (files) => {
      const repo = createLocalRepo(files);
      return { repository: { url: repo.dir, ref: "main", commitSha: null, rootDir: "" }, head: repo.head };
    },
    imageExists: async (image) =>
      image.startsWith(PROCESS_IMAGE_PREFIX) &&
      existsSync(join(image.slice(PROCESS_IMAGE_PREFIX.length), PROCESS_RELEASE_FILE)),
    // Build args and secrets need a container build (a Dockerfile reads them): not this builder's.
    stopWithinMs: 5_000,
    dispose: async () => rmSync(work, { recursive: true, force: true }),
  };
});
