import type { BuildPlan } from "../types.ts";
import { REGISTRY_BUILD_ARGS, type RegistryBuildArg } from "./registry-args.ts";

/** Non-root user of every runtime stage (numeric, so it works on images without /etc/passwd entries). */
export const APP_USER = "10001:10001";

/** Registry settings each toolchain reads; every cached ARG still costs a cache lookup per build. */
const ARGS_FOR: Record<"node" | "python" | "go" | "java" | "rust" | "ruby" | "php", RegistryBuildArg[]> = {
  node: [
    "NPM_CONFIG_REGISTRY",
    "NPM_CONFIG_CAFILE",
    "NODE_EXTRA_CA_CERTS",
    "YARN_NPM_REGISTRY_SERVER",
    "COREPACK_NPM_REGISTRY",
  ],
  python: ["PIP_INDEX_URL", "PIP_CERT", "UV_INDEX_URL", "SSL_CERT_FILE"],
  go: ["GOPROXY", "GOSUMDB", "SSL_CERT_FILE"],
  java: ["MAVEN_MIRROR", "GRADLE_PLUGIN_MIRROR", "GRADLE_DISTRIBUTION_MIRROR", "SSL_CERT_FILE"],
  rust: ["CARGO_MIRROR", "CARGO_HTTP_CAINFO", "SSL_CERT_FILE"],
  ruby: ["BUNDLE_MIRROR__RUBYGEMS__ORG", "SSL_CERT_FILE"],
  php: ["COMPOSER_MIRROR", "SSL_CERT_FILE"],
};

/** ARG lines for a toolchain's registry settings; every registry ARG for a toolchain without an entry. */
export const argLines = (toolchain?: string): string[] =>
  (toolchain !== undefined && Object.hasOwn(ARGS_FOR, toolchain)
    ? ARGS_FOR[toolchain as keyof typeof ARGS_FOR]
    : REGISTRY_BUILD_ARGS
  ).map((a) => `ARG ${a}`);

/** `ENV` line for a set of variables (values JSON-quoted so spaces and `$` stay literal). */
export function envLine(env: Record<string, string>): string[] {
  const entries = Object.entries(env).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return [];
  return [`ENV ${entries.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(" ")}`];
}

export const runLines = (commands: string[]): string[] => commands.map((c) => `RUN ${c}`);

/**
 * Steps after the source COPY rerun on every source change; one RUN means one layer commit instead of
 * one per command, which is most of a warm rebuild's cost.
 */
export const runChained = (commands: string[]): string[] =>
  commands.length === 0 ? [] : [`RUN ${commands.join(" && ")}`];

/** COPY of the dependency manifests only (grouped by folder), so the install layer survives source edits. */
export function copyManifests(files: string[]): string[] {
  const byDir = new Map<string, string[]>();
  for (const f of files) {
    const dir = f.includes("/") ? `${f.slice(0, f.lastIndexOf("/"))}/` : "./";
    byDir.set(dir, [...(byDir.get(dir) ?? []), f]);
  }
  return [...byDir].map(([dir, group]) => `COPY ${JSON.stringify([...group, dir])}`);
}

/** The container command: exec form; through `sh -c` when it needs a shell ($PORT, &&, globs). */
export function cmdLine(start: string | null, shell: boolean): string[] {
  if (start === null) return [];
  if (!shell || /^[\w./-]+$/.test(start)) return [`CMD ${JSON.stringify(start.split(" "))}`];
  const simple = !/[;&|]/.test(start);
  return [`CMD ${JSON.stringify(["/bin/sh", "-c", simple ? `exec ${start}` : start])}`];
}

/** One cached layer of Debian packages (runs as root, before USER). */
export function aptLines(packages: string[]): string[] {
  if (packages.length === 0) return [];
  const list = [...new Set(packages)].sort().join(" ");
  return [
    `RUN apt-get update && apt-get install -y --no-install-recommends ${list} && rm -rf /var/lib/apt/lists/*`,
  ];
}

/** PORT and EXPOSE, when the app serves HTTP. */
export function portLines(plan: BuildPlan): string[] {
  if (plan.port === null) return [];
  return [`ENV PORT=${plan.port}`, `EXPOSE ${plan.port}`];
}
