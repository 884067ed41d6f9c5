// The build Job's `prepare` init container: clone the commit (token read from the per-build Secret's
// file), detect the plan, render Dockerfile + .dockerignore, and lay the result out where the Kaniko
// container expects it: <workspace>/context and <workspace>/Dockerfile. What it found (provider, port,
// commit) becomes its termination message, read back by the controller. A failure's message is the
// reason the user sees (terminationMessagePolicy FallbackToLogsOnError shows it if writing fails).
import { copyFile, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { planFacts } from "../builder.ts";
import { isBuildError } from "../errors.ts";
import { prepareBuild } from "../prepare-build.ts";
import { checkoutRepository } from "../workspace.ts";
import { loadPrepareConfig } from "./config.ts";
import { writeTrustBundle } from "./trust-bundle.ts";

const config = loadPrepareConfig();

async function main(): Promise<void> {
  const token = (await readFile(config.tokenFile, "utf8").catch(() => "")).trim();
  // The build CA is trusted by the clone too: the repository may live behind the same internal CA as
  // the package registries (ADR 0125).
  const caFile = config.cloneCaFile;
  if (caFile) await mkdir(config.workspace, { recursive: true });
  const caBundleFile = caFile
    ? await writeTrustBundle(caFile, join(config.workspace, "git-ca-bundle.crt"))
    : undefined;
  const workspace = await checkoutRepository(
    { url: config.url, ref: config.ref, commitSha: config.commitSha },
    {
      workRoot: join(config.workspace, "checkout"),
      allowLocalRepos: false,
      timeoutMs: 300_000,
      credentials: async () => (token === "" ? null : token),
      caBundleFile,
      onLine: (_stream, line) => process.stderr.write(`${line}\n`),
    },
  );
  const prepared = await prepareBuild(
    workspace.dir,
    workspace.scratch,
    config.rootDir,
    config.baseImages,
    config.registry,
  );
  const context = join(config.workspace, "context");
  const dockerfile = join(config.workspace, "Dockerfile");
  if (prepared.dockerfile !== dockerfile) await copyFile(prepared.dockerfile, dockerfile);
  await rename(prepared.contextDir, context);
  // The same facts the local builder returns, read back by the controller (job-outcome.ts).
  const report = { ...planFacts(prepared.plan), commitSha: workspace.commitSha };
  process.stdout.write(`Prepared ${report.provider} build of ${workspace.commitSha}\n`);
  // A termination message holds 4 KiB: commands that do not fit are left to the defaults, said in the log.
  const fits = JSON.stringify(report).length <= 4000;
  if (!fits) process.stdout.write("Process types and release command too long to report; running web only\n");
  const reported = fits ? report : { ...report, processes: undefined, releaseCommand: undefined };
  await writeFile(config.terminationLog, JSON.stringify(reported)).catch(() => undefined);
}

main().catch(async (error: unknown) => {
  const message = isBuildError(error) ? error.message : `Preparing the build failed: ${String(error)}`;
  process.stderr.write(`${message}\n`);
  await writeFile(config.terminationLog, message).catch(() => undefined);
  process.exit(1);
});
