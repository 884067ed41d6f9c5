/**
 * The api's input rules (packages/core app-spec.ts), repeated here so the form answers as you type.
 * test/ui/validation-parity.test.ts checks both agree; the api stays the authority.
 */

const APP_NAME_PATTERN = /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/;

const RESERVED_APP_NAMES: ReadonlySet<string> = new Set([
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

const ENV_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const RESERVED_ENV_KEYS: ReadonlySet<string> = new Set(["PORT", "KLI8NT_APP", "KLI8NT_DEPLOYMENT"]);

/** Returns null when `name` is a valid app name (a DNS label the platform does not keep), else why not. */
export function appNameProblem(name: string): string | null {
  if (name.length === 0) return "name must not be empty";
  if (name.length > 40) return "name must be at most 40 characters";
  if (!APP_NAME_PATTERN.test(name)) {
    return "name must be lowercase letters, digits and hyphens, not starting or ending with a hyphen";
  }
  if (RESERVED_APP_NAMES.has(name)) return "name is reserved by the platform";
  if (name.includes("--")) return "name must not contain consecutive hyphens";
  return null;
}

/** A name suggestion from a repository name: lowercase, hyphens for the rest, trimmed to 40. */
export function suggestAppName(repository: string): string {
  const base = repository.split("/").filter(Boolean).pop() ?? "";
  return base
    .replace(/\.git$/, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/-+/g, "-")
    .slice(0, 40)
    .replace(/^-+|-+$/g, "");
}

export function envKeyProblem(key: string): string | null {
  if (!ENV_KEY_PATTERN.test(key)) {
    return "env var names are letters, digits and underscores, not starting with a digit";
  }
  if (RESERVED_ENV_KEYS.has(key)) return "this env var is set by Kli8nt";
  return null;
}

export function envValueProblem(value: string): string | null {
  return value.length > 32_768 ? "env var values are at most 32 KiB" : null;
}

export function portProblem(text: string): string | null {
  if (text.trim() === "") return null;
  const port = Number(text);
  return Number.isInteger(port) && port >= 1 && port <= 65535
    ? null
    : "port must be a whole number from 1 to 65535";
}

/** Same shape checks as the api's checkRepositoryUrl for http(s) URLs (local paths are the api's call). */
export function repositoryUrlProblem(url: string): string | null {
  if (url.trim() === "") return "repository URL must not be empty";
  if (url.startsWith("/") || url.startsWith("file://")) return null;
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
  if (parsed.pathname.split("/").filter(Boolean).length < 2) {
    return "repository.url must name an owner and a repository";
  }
  return null;
}

/** The app's URL from the server's template, learnt from an existing app's URL when there is one. */
export function previewUrl(template: string | null, name: string): string | null {
  return template ? template.replaceAll("{app}", name) : null;
}

export function templateFrom(app: { name: string; url: string } | undefined): string | null {
  if (!app) return null;
  const at = app.url.indexOf(`//${app.name}.`);
  return at < 0 ? null : `${app.url.slice(0, at + 2)}{app}${app.url.slice(at + 2 + app.name.length)}`;
}
