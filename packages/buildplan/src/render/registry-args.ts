/**
 * Build arguments through which package registries and an extra CA reach `RUN` steps (mirrors, air-gapped
 * installs, corporate proxies). They carry locations, never credentials: ARG values end up in image history.
 */
export const REGISTRY_BUILD_ARGS = [
  "NPM_CONFIG_REGISTRY",
  "NPM_CONFIG_CAFILE",
  "NODE_EXTRA_CA_CERTS",
  "YARN_NPM_REGISTRY_SERVER",
  "COREPACK_NPM_REGISTRY",
  "PIP_INDEX_URL",
  "PIP_CERT",
  "UV_INDEX_URL",
  "GOPROXY",
  "GOSUMDB",
  "SSL_CERT_FILE",
  // Maven/Gradle: a Maven-layout mirror (settings.xml mirrorOf *, Gradle init script, mvnw's MVNW_REPOURL),
  // the plugin portal and the Gradle distributions (wrapper distributionUrl) each have their own location.
  "MAVEN_MIRROR",
  "GRADLE_PLUGIN_MIRROR",
  "GRADLE_DISTRIBUTION_MIRROR",
  "BUNDLE_MIRROR__RUBYGEMS__ORG",
  "COMPOSER_MIRROR",
  "CARGO_MIRROR",
  "CARGO_HTTP_CAINFO",
] as const;

export type RegistryBuildArg = (typeof REGISTRY_BUILD_ARGS)[number];

export interface RegistryConfig {
  npmRegistry?: string;
  pipIndexUrl?: string;
  goProxy?: string;
  goSumDb?: string;
  /** A Maven repository mirroring Maven Central (Nexus/Artifactory group), for Maven, Gradle and mvnw. */
  mavenMirror?: string;
  /** A mirror of plugins.gradle.org/m2 (defaults to mavenMirror when that proxies the portal too). */
  gradlePluginMirror?: string;
  /** A folder holding gradle-<version>-bin.zip files, replacing services.gradle.org/distributions. */
  gradleDistributionMirror?: string;
  /** A RubyGems mirror (Bundler's mirror.https://rubygems.org setting). */
  rubygemsMirror?: string;
  /** A Composer repository replacing packagist.org. */
  composerMirror?: string;
  /** A sparse Cargo registry index replacing crates.io (`sparse+https://…/`). */
  cargoMirror?: string;
  /** Path of the CA bundle *inside the build* (mounted read-only by the builder), e.g. /run/build-ca.crt. */
  caFile?: string;
}

/** The platform variable (KLI8NT_*) of each registry setting: one list for every builder's config. */
export const REGISTRY_SETTINGS_ENV = {
  npmRegistry: "KLI8NT_NPM_REGISTRY",
  pipIndexUrl: "KLI8NT_PIP_INDEX_URL",
  goProxy: "KLI8NT_GOPROXY",
  mavenMirror: "KLI8NT_MAVEN_MIRROR",
  gradlePluginMirror: "KLI8NT_GRADLE_PLUGIN_MIRROR",
  gradleDistributionMirror: "KLI8NT_GRADLE_DISTRIBUTION_MIRROR",
  rubygemsMirror: "KLI8NT_RUBYGEMS_MIRROR",
  composerMirror: "KLI8NT_COMPOSER_MIRROR",
  cargoMirror: "KLI8NT_CARGO_MIRROR",
} as const satisfies Record<Exclude<keyof RegistryConfig, "caFile" | "goSumDb">, string>;

/** Registry settings read from KLI8NT_* variables (unset and empty ones omitted). */
export function registrySettingsFromEnv(env: Readonly<Record<string, unknown>>): RegistryConfig {
  const out: Record<string, string> = {};
  for (const [key, name] of Object.entries(REGISTRY_SETTINGS_ENV)) {
    const value = env[name];
    if (typeof value === "string" && value !== "") out[key] = value;
  }
  return out as RegistryConfig;
}

/** Neutral in-build path for the host CA bundle; mounting over the image's own bundle breaks apt. */
export const BUILD_CA_PATH = "/run/build-ca.crt";

/** `--build-arg` values for a registry configuration; unset entries are omitted so image defaults apply. */
export function registryBuildArgs(config: RegistryConfig): Partial<Record<RegistryBuildArg, string>> {
  const args: Partial<Record<RegistryBuildArg, string>> = {};
  if (config.npmRegistry) {
    args.NPM_CONFIG_REGISTRY = config.npmRegistry;
    args.YARN_NPM_REGISTRY_SERVER = config.npmRegistry;
    args.COREPACK_NPM_REGISTRY = config.npmRegistry;
  }
  if (config.pipIndexUrl) {
    args.PIP_INDEX_URL = config.pipIndexUrl;
    args.UV_INDEX_URL = config.pipIndexUrl;
  }
  if (config.goProxy) args.GOPROXY = config.goProxy;
  if (config.goSumDb) args.GOSUMDB = config.goSumDb;
  if (config.mavenMirror) args.MAVEN_MIRROR = config.mavenMirror;
  const plugins = config.gradlePluginMirror ?? config.mavenMirror;
  if (plugins) args.GRADLE_PLUGIN_MIRROR = plugins;
  if (config.gradleDistributionMirror) args.GRADLE_DISTRIBUTION_MIRROR = config.gradleDistributionMirror;
  if (config.rubygemsMirror) args.BUNDLE_MIRROR__RUBYGEMS__ORG = config.rubygemsMirror;
  if (config.composerMirror) args.COMPOSER_MIRROR = config.composerMirror;
  if (config.cargoMirror) args.CARGO_MIRROR = config.cargoMirror;
  if (config.caFile) {
    args.NPM_CONFIG_CAFILE = config.caFile;
    args.NODE_EXTRA_CA_CERTS = config.caFile;
    args.PIP_CERT = config.caFile;
    args.SSL_CERT_FILE = config.caFile;
    args.CARGO_HTTP_CAINFO = config.caFile;
  }
  return args;
}
