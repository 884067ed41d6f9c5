import { readFile } from "node:fs/promises";
import { buildImage, type ContainerEnv, prepareContext, runImage, waitForHttp } from "./container-build.ts";

/** The environment start_containers (scripts/infra/containers.sh) exports, or why it is unusable. */
export function containerEnvFromProcess(env: NodeJS.ProcessEnv): ContainerEnv | null {
  if (env.KLI8NT_TEST_CONTAINERS !== "1" || env.KLI8NT_TEST_BASE_IMAGES === undefined) return null;
  return {
    baseImages: JSON.parse(env.KLI8NT_TEST_BASE_IMAGES) as Record<string, string>,
    npmRegistry: env.KLI8NT_TEST_NPM_REGISTRY ?? "https://registry.npmjs.org/",
    caFile: env.KLI8NT_TEST_CA_FILE ?? "/etc/ssl/certs/ca-certificates.crt",
  };
}

export interface ServedSample {
  plan: Awaited<ReturnType<typeof prepareContext>>["plan"];
  dockerfile: string;
  /** Wall time of the buildah build, in ms (cold on a fresh store, warm when its layers are cached). */
  buildMs: number;
  /** Fetches a path from the running container (status + body). */
  get: (path: string) => Promise<{ status: number; body: string }>;
}

/**
 * Renders, builds and runs a sample repository, then hands a `get` to `check` while the container runs; the
 * container and the build context are removed afterwards (the image stays, as a layer cache).
 */
export async function withServedSample<T>(
  sampleDir: string,
  tag: string,
  cenv: ContainerEnv,
  check: (served: ServedSample) => Promise<T>,
  buildArgs: Record<string, string> = {},
): Promise<T> {
  const ctx = await prepareContext(sampleDir, cenv);
  try {
    const started = Date.now();
    const extra = Object.entries(buildArgs).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]);
    await buildImage(ctx, tag, cenv, extra);
    const buildMs = Date.now() - started;
    const container = await runImage(tag);
    try {
      await waitForHttp(`${container.url}/`, 120_000).catch(async (err: Error) => {
        throw new Error(`${err.message}\ncontainer logs:\n${await container.logs()}`, { cause: err });
      });
      const dockerfile = await readFile(ctx.dockerfilePath, "utf8");
      return await check({
        plan: ctx.plan,
        dockerfile,
        buildMs,
        get: (path) => waitForHttp(`${container.url}${path}`, 10_000),
      });
    } finally {
      await container.stop();
    }
  } finally {
    await ctx.cleanup();
  }
}
