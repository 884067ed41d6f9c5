import path from "node:path/posix";
import { z } from "zod";
import { refusedEnvKeyReason } from "./env-key-policy.ts";

/** Names become subdomains, so they are DNS labels: 1–40 chars of a-z, 0-9 and '-', no edge hyphens. */
export const APP_NAME_PATTERN = /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/;

/** Subdomains the platform keeps for itself or that invite confusion/phishing. */
export const RESERVED_APP_NAMES: ReadonlySet<string> = new Set([
  "api",
  "app",
  "apps",
  "admin",
  "auth",
  "dashboard",
  "docs",
  "git",
  "github",
  "kli8nt",
  "localhost",
  "login",
  "mail",
  "registry",
  "root",
  "status",
  "system",
  "www",
]);

export const appNameSchema = z
  .string()
  .min(1, "name must not be empty")
  .max(40, "name must be at most 40 characters")
  .regex(
    APP_NAME_PATTERN,
    "name must be lowercase letters, digits and hyphens, not starting or ending with a hyphen",
  )
  .refine((name) => !RESERVED_APP_NAMES.has(name), { message: "name is reserved by the platform" })
  .refine((name) => !name.includes("--"), { message: "name must not contain consecutive hyphens" });

/** A git branch name per git-check-ref-format, conservatively. */
export const branchSchema = z
  .string()
  .min(1)
  .max(255)
  .refine(isSafeRefName, { message: "branch is not a valid git branch name" });

export function isSafeRefName(ref: string): boolean {
  if (ref.startsWith("-") || ref.startsWith("/") || ref.endsWith("/") || ref.endsWith(".")) return false;
  if (ref.endsWith(".lock") || ref.includes("..") || ref.includes("//") || ref.includes("@{")) return false;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what git forbids
  return !/[\u0000-\u0020\u007f~^:?*[\\]/.test(ref);
}

/** A directory inside the repository: relative, normalised, never escaping the checkout. */
export const rootDirSchema = z
  .string()
  .max(255)
  .refine(isContainedRelativePath, { message: "rootDir must be a relative path inside the repository" })
  .transform(normaliseRootDir);

/** Whether a path is relative and stays inside its base once normalised. */
export function isContainedRelativePath(value: string): boolean {
  if (value.includes("\\") || value.includes("\0") || value.startsWith("/")) return false;
  const normalised = path.normalize(value === "" ? "." : value);
  return normalised !== ".." && !normalised.startsWith("../");
}

function normaliseRootDir(value: string): string {
  const normalised = path.normalize(value === "" ? "." : value).replace(/\/+$/, "");
  return normalised === "" ? "." : normalised;
}

export interface RepositoryUrlPolicy {
  /** Single-machine mode may deploy from a local path or file:// URL when the operator opts in. */
  readonly allowLocal: boolean;
}

/** Returns null when the URL is acceptable, else a message saying why not. */
export function checkRepositoryUrl(url: string, policy: RepositoryUrlPolicy): string | null {
  if (url.startsWith("/") || url.startsWith("file://")) {
    return policy.allowLocal
      ? null
      : "local repositories are disabled; set KLI8NT_ALLOW_LOCAL_REPOS=true in single-machine mode";
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "repository.url must be an http(s) git URL such as https://github.com/owner/repo";
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    return `repository.url scheme "${parsed.protocol.replace(":", "")}" is not supported; use https`;
  }
  if (parsed.username || parsed.password) {
    return "repository.url must not contain credentials; Kli8nt clones with your connected GitHub account";
  }
  if (parsed.search || parsed.hash) return "repository.url must not have a query or fragment";
  const segments = parsed.pathname.split("/").filter(Boolean);
  if (segments.length < 2) return "repository.url must name an owner and a repository";
  return null;
}

export const portSchema = z.number().int().min(1).max(65535);

export const ENV_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** Variables the platform sets itself; letting users override them would break routing or builds. */
export const RESERVED_ENV_KEYS: ReadonlySet<string> = new Set(["PORT", "KLI8NT_APP", "KLI8NT_DEPLOYMENT"]);

export const envKeySchema = z
  .string()
  .regex(ENV_KEY_PATTERN, "env var names are letters, digits and underscores, not starting with a digit")
  .refine((key) => !RESERVED_ENV_KEYS.has(key), { message: "this env var is set by Kli8nt" })
  .superRefine((key, ctx) => {
    const why = RESERVED_ENV_KEYS.has(key) ? null : refusedEnvKeyReason(key);
    if (why) ctx.addIssue({ code: "custom", message: `${key} is not allowed: ${why}` });
  });

export const envValueSchema = z.string().max(32_768, "env var values are at most 32 KiB");
