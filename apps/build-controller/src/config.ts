import path from "node:path";
import { registrySettingsFromEnv } from "@kli8nt/buildplan";
import { type EnvSource, envSettings, loadEnvConfig } from "@kli8nt/core";
import { z } from "zod";

/** The KLI8NT_* variables of the build controller. With none set, the embedded defaults run. */
const schema = z
  .object({
    KLI8NT_DATA_DIR: z.string().min(1).default("./.kli8nt"),
    KLI8NT_BUILDER: z.enum(["auto", "buildah", "process"]).default("auto"),
    KLI8NT_BUILD_TIMEOUT_SECONDS: z.coerce
      .number()
      .int()
      .min(10)
      .max(6 * 3600)
      .default(900),
    KLI8NT_BUILD_MEMORY: z
      .string()
      .regex(/^\d+[kmg]?$/i, "KLI8NT_BUILD_MEMORY is like 2g or 512m")
      .optional(),
    KLI8NT_BUILD_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(1),
    KLI8NT_BASE_IMAGES: envSettings
      .jsonStringMap("KLI8NT_BASE_IMAGES", ', e.g. {"node":"localhost/node:20"}')
      .optional(),
    KLI8NT_NPM_REGISTRY: z.url().optional(),
    KLI8NT_PIP_INDEX_URL: z.url().optional(),
    KLI8NT_GOPROXY: z.string().min(1).optional(),
    KLI8NT_MAVEN_MIRROR: z.url().optional(),
    KLI8NT_GRADLE_PLUGIN_MIRROR: z.url().optional(),
    KLI8NT_GRADLE_DISTRIBUTION_MIRROR: z.url().optional(),
    KLI8NT_RUBYGEMS_MIRROR: z.url().optional(),
    KLI8NT_COMPOSER_MIRROR: z.url().optional(),
    // sparse+https://… (Cargo's own syntax for a sparse index), so not a plain URL.
    KLI8NT_CARGO_MIRROR: z
      .string()
      .regex(/^(sparse\+)?https?:\/\/\S+$/)
      .optional(),
    KLI8NT_BUILD_CA_FILE: z.string().min(1).optional(),
    KLI8NT_IMAGE_PREFIX: z
      .string()
      .regex(/^[a-z0-9./_-]+$/)
      .default("localhost/kli8nt-apps"),
    KLI8NT_ALLOW_LOCAL_REPOS: envSettings.boolean().default(false),
  })
  .transform((env) => {
    const dataDir = path.resolve(env.KLI8NT_DATA_DIR);
    return {
      builder: env.KLI8NT_BUILDER,
      workRoot: path.join(dataDir, "builds"),
      releasesDir: path.join(dataDir, "releases"),
      buildTimeoutMs: env.KLI8NT_BUILD_TIMEOUT_SECONDS * 1000,
      cloneTimeoutMs: 120_000,
      buildMemory: env.KLI8NT_BUILD_MEMORY,
      concurrency: env.KLI8NT_BUILD_CONCURRENCY,
      baseImages: env.KLI8NT_BASE_IMAGES ?? {},
      registry: registrySettingsFromEnv(env),
      caFile: env.KLI8NT_BUILD_CA_FILE,
      imagePrefix: env.KLI8NT_IMAGE_PREFIX,
      allowLocalRepos: env.KLI8NT_ALLOW_LOCAL_REPOS,
      defaultPort: 3000,
    };
  });

export type BuildControllerConfig = Readonly<z.output<typeof schema>>;

/** Reads the build controller's configuration once; every bad variable is reported in one ConfigError. */
export function loadBuildControllerConfig(env: EnvSource = process.env): BuildControllerConfig {
  return loadEnvConfig("build controller", schema, env);
}
