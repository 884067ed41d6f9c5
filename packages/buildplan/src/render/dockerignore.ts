import type { BuildPlan } from "../types.ts";

const COMMON = [
  ".git",
  ".github",
  ".gitignore",
  ".dockerignore",
  "Dockerfile",
  "*.log",
  ".env",
  ".env.*",
  ".DS_Store",
];

const BY_PROVIDER: Partial<Record<BuildPlan["provider"], string[]>> = {
  node: ["node_modules", ".next/cache", ".turbo", ".parcel-cache", "coverage", ".npm", ".yarn/cache"],
  static: ["node_modules", ".parcel-cache", ".vite", "coverage"],
  python: [
    ".venv",
    "venv",
    "env",
    "__pycache__",
    "*.pyc",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".tox",
  ],
  go: ["vendor/**/testdata", "*.test"],
  ruby: ["vendor/bundle", "log", "tmp", "node_modules", "public/assets", "storage"],
  php: ["vendor", "node_modules", "storage/logs", "bootstrap/cache/*.php"],
  // Not .mvn/wrapper/maven-wrapper.jar: older mvnw scripts run it (issue 26).
  java: ["target", "build", ".gradle"],
  rust: ["target"],
  deno: ["node_modules", ".deno"],
  elixir: ["_build", "deps", ".elixir_ls"],
};

/** A .dockerignore for repositories without one: VCS data, dependency folders, virtualenvs, build caches. */
export function renderDockerignore(plan: BuildPlan): string {
  const lines = [
    ...COMMON,
    ...(BY_PROVIDER[plan.provider] ?? []),
    ...(plan.nodeBuild ? ["node_modules"] : []),
  ];
  // Secrets in .env must never reach the context, but a repo's static .env.example is harmless.
  return `${[...new Set(lines)].join("\n")}\n!.env.example\n`;
}
