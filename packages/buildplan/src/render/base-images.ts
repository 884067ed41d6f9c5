import type { BuildPlan } from "../types.ts";

/**
 * Logical base images. Keys of the configurable map are these names ("node", "caddy"…) or a full default
 * reference ("node:20-slim"); the more specific key wins. Defaults are the official images.
 */
export type BaseImageKey =
  | "node"
  | "bun"
  | "python"
  | "go"
  | "distroless-static"
  | "rust"
  | "debian"
  | "jdk"
  | "jre"
  | "maven"
  | "gradle"
  | "ruby"
  | "php"
  | "deno"
  | "elixir"
  | "caddy"
  | "composer";

const DEFAULTS: Record<BaseImageKey, (v: string) => string> = {
  node: (v) => `node:${v}-slim`,
  bun: (v) => `oven/bun:${v}-slim`,
  python: (v) => `python:${v}-slim`,
  go: (v) => `golang:${v}-bookworm`,
  "distroless-static": () => "gcr.io/distroless/static-debian12:nonroot",
  rust: (v) => `rust:${v}-slim-bookworm`,
  debian: () => "debian:bookworm-slim",
  jdk: (v) => `eclipse-temurin:${v}-jdk`,
  jre: (v) => `eclipse-temurin:${v}-jre`,
  maven: (v) => `maven:3-eclipse-temurin-${v}`,
  // Gradle 8 does not run on Java 25; Gradle 9 does not run on Java 11.
  gradle: (v) => `gradle:${Number(v) >= 25 ? 9 : 8}-jdk${v}`,
  ruby: (v) => `ruby:${v}-slim`,
  php: (v) => `dunglas/frankenphp:1-php${v}`,
  deno: (v) => `denoland/deno:${v}`,
  elixir: (v) => `elixir:${v}`,
  caddy: () => "caddy:2",
  composer: () => "composer:2",
};

/** Which runtime's version a base image follows. */
const VERSION_OF: Partial<Record<BaseImageKey, keyof BuildPlan["runtimeVersions"]>> = {
  node: "node",
  bun: "bun",
  python: "python",
  go: "go",
  rust: "rust",
  jdk: "java",
  jre: "java",
  maven: "java",
  gradle: "java",
  ruby: "ruby",
  php: "php",
  deno: "deno",
  elixir: "elixir",
};

const FALLBACK_VERSION: Partial<Record<BaseImageKey, string>> = {
  node: "22",
  bun: "1",
  jdk: "21",
  jre: "21",
  maven: "21",
  gradle: "21",
};

export function baseImage(
  key: BaseImageKey,
  plan: BuildPlan,
  map: Readonly<Record<string, string>> = {},
): string {
  const runtime = VERSION_OF[key];
  const version = (runtime ? plan.runtimeVersions[runtime] : undefined) ?? FALLBACK_VERSION[key] ?? "latest";
  const ref = DEFAULTS[key](version);
  return map[ref] ?? map[key] ?? ref;
}
