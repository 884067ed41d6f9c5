import { type RegistryConfig, registrySettingsFromEnv } from "@kli8nt/buildplan";
import { type EnvSource, envSettings, loadEnvConfig } from "@kli8nt/core";
import type { V1Toleration } from "@kubernetes/client-node";
import { z } from "zod";

const quantity = z
  .string()
  .regex(/^\d+(\.\d+)?(m|Ki|Mi|Gi|k|M|G)?$/, "a Kubernetes quantity like 2Gi or 500m");

/**
 * An image reference pinned by digest. The Kaniko executor (maintained fork, osscontainertools/kaniko) and
 * the prepare image must be pinned: a moving tag could change the build between two deploys. There is no
 * default digest on purpose: the operator names the one they mirrored and verified (ADR 0111).
 */
const pinnedImage = z
  .string()
  .regex(
    /^[^\s@]+@sha256:[0-9a-f]{64}$/,
    "an image pinned by digest, e.g. ghcr.io/osscontainertools/kaniko@sha256:<64 hex>",
  );

/** Unset when empty: a variable set to "" in a manifest means not configured. */
const optionalText = <T extends z.ZodType>(inner: T) =>
  z.preprocess((v) => (v === "" ? undefined : v), inner.optional());

/**
 * The CA bundle handed to builds: `<configmap>` or `<configmap>/<key>` (key `ca.crt` by default), a
 * ConfigMap in the build namespace (a CA is public, so not a Secret; trust-manager Bundles produce one).
 */
const caConfigMap = z
  .string()
  .regex(
    /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(\/[-._a-zA-Z0-9]+)?$/,
    "<configmap>[/<key>], a ConfigMap in the build namespace holding the PEM bundle, e.g. build-ca/ca.crt",
  )
  .transform((text) => {
    const [name = "", key = "ca.crt"] = text.split("/");
    return { name, key };
  });

const toleration = z.strictObject({
  key: z.string().optional(),
  operator: z.enum(["Equal", "Exists"]).optional(),
  value: z.string().optional(),
  effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]).optional(),
});

/** Package registries reachable from RUN steps: locations only, never credentials (they end up in ARGs). */
export type PackageRegistries = Readonly<Omit<RegistryConfig, "caFile" | "goSumDb">>;
/** The ConfigMap key whose PEM bundle is mounted read-only at BUILD_CA_PATH in the Kaniko container. */
export type CaConfigMap = Readonly<{ name: string; key: string }>;

/** The KLI8NT_* variables of the Kubernetes builder (KLI8NT_BUILDER=kaniko-job). */
const schema = z
  .object({
    KLI8NT_BUILD_NAMESPACE: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
      .default("kli8nt-builds"),
    KLI8NT_REGISTRY: z
      .string()
      .regex(
        /^[a-z0-9.:-]+(\/[a-z0-9._-]+)*$/,
        "a registry host with an optional path, e.g. registry.example.com/kli8nt",
      )
      .default("registry.kli8nt.svc:5000/kli8nt"),
    KLI8NT_REGISTRY_SECRET: z.string().min(1).optional(),
    // Per-build registry tokens (docs/adr/0140): the key and certificate the registry's token auth trusts
    // (auth.token.rootcertbundle), its issuer and service names. With them, Kaniko gets a token for its
    // app's repositories only, valid for the build, instead of the shared push Secret.
    KLI8NT_REGISTRY_TOKEN_KEY_FILE: optionalText(z.string().min(1)),
    KLI8NT_REGISTRY_TOKEN_CERT_FILE: optionalText(z.string().min(1)),
    KLI8NT_REGISTRY_TOKEN_ISSUER: z.string().min(1).default("kli8nt-build-controller"),
    KLI8NT_REGISTRY_TOKEN_SERVICE: z.string().min(1).default("kli8nt-registry"),
    // The registry speaks plain HTTP or an untrusted certificate: Kaniko pushes to it, reads its cache
    // from it and pulls base images mirrored into it without verified TLS.
    KLI8NT_REGISTRY_INSECURE: z.enum(["true", "false"]).default("false"),
    KLI8NT_KANIKO_IMAGE: pinnedImage,
    KLI8NT_PREPARE_IMAGE: z.string().min(1),
    KLI8NT_BUILD_CPU: quantity.default("2"),
    KLI8NT_BUILD_MEMORY_LIMIT: quantity.default("4Gi"),
    KLI8NT_BUILD_TIMEOUT_SECONDS: z.coerce.number().int().min(30).max(21_600).default(900),
    KLI8NT_BUILD_TTL_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300),
    KLI8NT_BUILD_CLUSTER_LIMIT: z.coerce.number().int().min(1).max(500).default(4),
    KLI8NT_BUILD_USER_LIMIT: z.coerce.number().int().min(1).max(100).default(2),
    KLI8NT_BUILD_NODE_SELECTOR: envSettings.jsonStringMap("KLI8NT_BUILD_NODE_SELECTOR").optional(),
    KLI8NT_BASE_IMAGES: envSettings.jsonStringMap("KLI8NT_BASE_IMAGES").optional(),
    // Package registries and an extra CA for RUN steps, as on one machine (../config.ts); the prepare step
    // bakes them into the rendered Dockerfile's ARG defaults, the CA is mounted at BUILD_CA_PATH.
    KLI8NT_NPM_REGISTRY: optionalText(z.url()),
    KLI8NT_PIP_INDEX_URL: optionalText(z.url()),
    KLI8NT_GOPROXY: optionalText(z.string().regex(/^\S+$/, "a GOPROXY list without spaces")),
    KLI8NT_MAVEN_MIRROR: optionalText(z.url()),
    KLI8NT_GRADLE_PLUGIN_MIRROR: optionalText(z.url()),
    KLI8NT_GRADLE_DISTRIBUTION_MIRROR: optionalText(z.url()),
    KLI8NT_RUBYGEMS_MIRROR: optionalText(z.url()),
    KLI8NT_COMPOSER_MIRROR: optionalText(z.url()),
    KLI8NT_CARGO_MIRROR: optionalText(z.string().regex(/^(sparse\+)?https?:\/\/\S+$/, "a Cargo index URL")),
    KLI8NT_BUILD_CA_CONFIGMAP: optionalText(caConfigMap),
    // A path on the controller's machine: a build pod cannot see it. Refused rather than ignored.
    KLI8NT_BUILD_CA_FILE: optionalText(
      z.string().refine(() => false, {
        message:
          "a file of the controller does not reach build pods; put the bundle in a ConfigMap in the build namespace and set KLI8NT_BUILD_CA_CONFIGMAP=<name>/<key>",
      }),
    ),
    // A RuntimeClass for build pods (gVisor `runsc`, Kata): RUN steps are the tenant's code, as root.
    KLI8NT_BUILD_RUNTIME_CLASS: optionalText(
      z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "a RuntimeClass name, e.g. gvisor"),
    ),
    KLI8NT_BUILD_TOLERATIONS: z
      .string()
      .transform((text, ctx) => {
        try {
          return z.array(toleration).parse(JSON.parse(text));
        } catch {
          ctx.addIssue({
            code: "custom",
            message: "KLI8NT_BUILD_TOLERATIONS must be a JSON array of tolerations",
          });
          return z.NEVER;
        }
      })
      .optional(),
  })
  .superRefine((env, ctx) => {
    if (!env.KLI8NT_REGISTRY_TOKEN_KEY_FILE !== !env.KLI8NT_REGISTRY_TOKEN_CERT_FILE) {
      ctx.addIssue({
        code: "custom",
        path: ["KLI8NT_REGISTRY_TOKEN_KEY_FILE"],
        message: "set both KLI8NT_REGISTRY_TOKEN_KEY_FILE and KLI8NT_REGISTRY_TOKEN_CERT_FILE, or neither",
      });
    }
  })
  .transform((env) => ({
    namespace: env.KLI8NT_BUILD_NAMESPACE,
    registry: env.KLI8NT_REGISTRY,
    registrySecret: env.KLI8NT_REGISTRY_SECRET,
    registryInsecure: env.KLI8NT_REGISTRY_INSECURE === "true",
    registryToken:
      env.KLI8NT_REGISTRY_TOKEN_KEY_FILE && env.KLI8NT_REGISTRY_TOKEN_CERT_FILE
        ? {
            keyFile: env.KLI8NT_REGISTRY_TOKEN_KEY_FILE,
            certFile: env.KLI8NT_REGISTRY_TOKEN_CERT_FILE,
            issuer: env.KLI8NT_REGISTRY_TOKEN_ISSUER,
            service: env.KLI8NT_REGISTRY_TOKEN_SERVICE,
          }
        : undefined,
    kanikoImage: env.KLI8NT_KANIKO_IMAGE,
    prepareImage: env.KLI8NT_PREPARE_IMAGE,
    resources: { cpu: env.KLI8NT_BUILD_CPU, memory: env.KLI8NT_BUILD_MEMORY_LIMIT },
    timeoutSeconds: env.KLI8NT_BUILD_TIMEOUT_SECONDS,
    ttlSecondsAfterFinished: env.KLI8NT_BUILD_TTL_SECONDS,
    clusterLimit: env.KLI8NT_BUILD_CLUSTER_LIMIT,
    userLimit: env.KLI8NT_BUILD_USER_LIMIT,
    nodeSelector: env.KLI8NT_BUILD_NODE_SELECTOR ?? {},
    baseImages: env.KLI8NT_BASE_IMAGES ?? {},
    packageRegistries: registrySettingsFromEnv(env) as PackageRegistries,
    caConfigMap: env.KLI8NT_BUILD_CA_CONFIGMAP as CaConfigMap | undefined,
    runtimeClassName: env.KLI8NT_BUILD_RUNTIME_CLASS as string | undefined,
    tolerations: (env.KLI8NT_BUILD_TOLERATIONS ?? []).map(
      (t) => Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined)) as V1Toleration,
    ),
    podAnnotations: {} as Readonly<Record<string, string>>,
  }));

export type KanikoJobConfig = Readonly<z.output<typeof schema>>;

/** Reads and validates the Kubernetes builder's variables; every bad key is reported in one ConfigError. */
export function loadKanikoJobConfig(env: EnvSource = process.env): KanikoJobConfig {
  return loadEnvConfig("Kubernetes builder", schema, env);
}

const prepareSchema = z
  .object({
    KLI8NT_REPO_URL: z.string().min(1),
    KLI8NT_REPO_REF: z.string().min(1),
    KLI8NT_REPO_COMMIT: z.string().default(""),
    KLI8NT_ROOT_DIR: z.string().default(""),
    KLI8NT_BASE_IMAGES: z.string().default("{}"),
    KLI8NT_GIT_TOKEN_FILE: z.string().min(1),
    KLI8NT_WORKSPACE: z.string().min(1).default("/workspace"),
    KLI8NT_TERMINATION_LOG: z.string().min(1).default("/dev/termination-log"),
    KLI8NT_NPM_REGISTRY: z.string().default(""),
    KLI8NT_PIP_INDEX_URL: z.string().default(""),
    KLI8NT_GOPROXY: z.string().default(""),
    KLI8NT_MAVEN_MIRROR: z.string().default(""),
    KLI8NT_GRADLE_PLUGIN_MIRROR: z.string().default(""),
    KLI8NT_GRADLE_DISTRIBUTION_MIRROR: z.string().default(""),
    KLI8NT_RUBYGEMS_MIRROR: z.string().default(""),
    KLI8NT_COMPOSER_MIRROR: z.string().default(""),
    KLI8NT_CARGO_MIRROR: z.string().default(""),
    // Where the Kaniko container has the CA bundle (BUILD_CA_PATH); empty when none is configured.
    KLI8NT_BUILD_CA_PATH: z.string().default(""),
    // Where this container has the same bundle, for its clone (ADR 0125); empty when none is configured.
    KLI8NT_CLONE_CA_FILE: z.string().default(""),
  })
  .transform((env, ctx) => {
    let baseImages: Record<string, string> = {};
    try {
      baseImages = z.record(z.string(), z.string()).parse(JSON.parse(env.KLI8NT_BASE_IMAGES));
    } catch {
      ctx.addIssue({ code: "custom", message: "KLI8NT_BASE_IMAGES must be a JSON object of strings" });
    }
    return {
      url: env.KLI8NT_REPO_URL,
      ref: env.KLI8NT_REPO_REF,
      commitSha: /^[0-9a-f]{40}$/.test(env.KLI8NT_REPO_COMMIT) ? env.KLI8NT_REPO_COMMIT : null,
      rootDir: env.KLI8NT_ROOT_DIR,
      baseImages,
      tokenFile: env.KLI8NT_GIT_TOKEN_FILE,
      workspace: env.KLI8NT_WORKSPACE,
      terminationLog: env.KLI8NT_TERMINATION_LOG,
      cloneCaFile: env.KLI8NT_CLONE_CA_FILE === "" ? undefined : env.KLI8NT_CLONE_CA_FILE,
      // Baked into the rendered Dockerfile's ARG defaults: the values the local builder passes as
      // --build-arg (registryBuildArgs of the same settings, CA at BUILD_CA_PATH).
      registry: {
        ...registrySettingsFromEnv(env),
        ...(env.KLI8NT_BUILD_CA_PATH ? { caFile: env.KLI8NT_BUILD_CA_PATH } : {}),
      } as RegistryConfig,
    };
  });

export type PrepareConfig = Readonly<z.output<typeof prepareSchema>>;

/** The environment the build Job gives its prepare container (see render-build-job.ts). */
export function loadPrepareConfig(env: EnvSource = process.env): PrepareConfig {
  return loadEnvConfig("prepare-step", prepareSchema, env);
}

const processSchema = z.object({
  KLI8NT_RABBITMQ_URL: envSettings.amqpUrl(),
  KLI8NT_KUBECONFIG: z.string().min(1).optional(),
  KLI8NT_LOG_LEVEL: envSettings.logLevel(),
  // The api's in-cluster address, for what a build needs that the bus must not carry (ADR 0118).
  KLI8NT_API_URL: z
    .url({ protocol: /^https?$/, message: "an http(s) URL of the api, e.g. http://kli8nt-api.kli8nt.svc" })
    .transform((v) => v.replace(/\/+$/, "")),
  KLI8NT_INTERNAL_TOKEN: z.string().min(32, "at least 32 characters (the api's KLI8NT_INTERNAL_TOKEN)"),
});

/**
 * What the Kubernetes-mode build controller process needs besides the builder settings. Secrets may come
 * from a mounted file instead: `<NAME>_FILE` holds the path (KLI8NT_INTERNAL_TOKEN_FILE…).
 */
export function loadKanikoProcessConfig(env: EnvSource = process.env) {
  const data = loadEnvConfig("build controller", processSchema, env);
  return Object.freeze({
    rabbitmqUrl: data.KLI8NT_RABBITMQ_URL,
    kubeconfig: data.KLI8NT_KUBECONFIG,
    logLevel: data.KLI8NT_LOG_LEVEL,
    apiUrl: data.KLI8NT_API_URL,
    internalToken: data.KLI8NT_INTERNAL_TOKEN,
  });
}
