import { execFile } from "node:child_process";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "@kli8nt/testkit";
import { detect } from "../detect.ts";
import { BUILD_CA_PATH, registryBuildArgs } from "../render/registry-args.ts";
import { render } from "../render/render.ts";
import type { BuildPlan } from "../types.ts";

const run = promisify(execFile);

/** Where the local container tools and base images are (from scripts/infra/containers.sh). */
export interface ContainerEnv {
  baseImages: Record<string, string>;
  npmRegistry: string;
  /** Host CA bundle, mounted read-only at BUILD_CA_PATH during builds. */
  caFile: string;
}

export interface PreparedContext {
  dir: string;
  plan: BuildPlan;
  dockerfilePath: string;
  cleanup: () => Promise<void>;
}

/** Copies a sample repo to a temp build context and writes the rendered Dockerfile (outside it) and .dockerignore. */
export async function prepareContext(sampleDir: string, env: ContainerEnv): Promise<PreparedContext> {
  const work = await mkdtemp(join(tmpdir(), "kli8nt-build-"));
  const dir = join(work, "context");
  await cp(sampleDir, dir, { recursive: true });
  const plan = await detect(dir);
  const { dockerfile, dockerignore } = render(plan, { baseImages: env.baseImages });
  const dockerfilePath = join(work, "Dockerfile");
  await writeFile(dockerfilePath, dockerfile);
  if (dockerignore !== null) await writeFile(join(dir, ".dockerignore"), dockerignore);
  return { dir, plan, dockerfilePath, cleanup: () => rm(work, { recursive: true, force: true }) };
}

/** `buildah bud --layers --isolation chroot` with the registry/CA build args; returns the build output. */
export async function buildImage(
  ctx: PreparedContext,
  tag: string,
  env: ContainerEnv,
  extraArgs: string[] = [],
): Promise<string> {
  const args = registryBuildArgs({ npmRegistry: env.npmRegistry, caFile: BUILD_CA_PATH });
  const buildArgs = Object.entries(args).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]);
  const argv = [
    "bud",
    "--layers",
    ...extraArgs,
    "--isolation",
    "chroot",
    "--volume",
    `${env.caFile}:${BUILD_CA_PATH}:ro`,
    ...buildArgs,
    "-f",
    ctx.dockerfilePath,
    "-t",
    tag,
    ctx.dir,
  ];
  try {
    const { stdout, stderr } = await run("nice", ["-n", "10", "buildah", ...argv], {
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout + stderr;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(
      `buildah bud failed for ${tag}:\n${(e.stdout ?? "").slice(-4000)}\n${(e.stderr ?? "").slice(-4000)}`,
      {
        cause: err,
      },
    );
  }
}

export interface RunningContainer {
  url: string;
  logs: () => Promise<string>;
  stop: () => Promise<void>;
}

/** Runs the image on the host network with PORT set to a free port (as the platform sets PORT). */
export async function runImage(tag: string): Promise<RunningContainer> {
  const port = await freePort();
  const { stdout } = await run("podman", ["run", "-d", "--network", "host", "-e", `PORT=${port}`, tag]);
  const id = stdout.trim();
  return {
    url: `http://127.0.0.1:${port}`,
    logs: async () => {
      const r = await run("podman", ["logs", id]).catch((e: { stderr?: string }) => ({
        stdout: "",
        stderr: e.stderr ?? "",
      }));
      return r.stdout + r.stderr;
    },
    stop: async () => {
      await run("podman", ["rm", "-f", "-t", "1", id]).catch(() => undefined);
    },
  };
}

/** Polls `url` until it answers (any status) or the deadline passes; returns status and body. */
export async function waitForHttp(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      return { status: res.status, body: await res.text() };
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  throw new Error(`no HTTP answer from ${url} within ${timeoutMs} ms`, { cause: last });
}
