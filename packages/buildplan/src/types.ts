/** The stacks Kli8nt can build. `dockerfile` means the repository's own Dockerfile is used unchanged. */
export const PROVIDERS = [
  "node",
  "python",
  "go",
  "ruby",
  "php",
  "java",
  "rust",
  "deno",
  "elixir",
  "static",
  "dockerfile",
  "shell",
] as const;
export type Provider = (typeof PROVIDERS)[number];

export type PackageManager =
  | "npm"
  | "pnpm"
  | "yarn1"
  | "yarn-berry"
  | "bun"
  | "pip"
  | "poetry"
  | "uv"
  | "pipenv"
  | "go"
  | "bundler"
  | "composer"
  | "maven"
  | "gradle"
  | "cargo"
  | "mix"
  | "deno";

/** Runtime name → resolved major (or major.minor) version, e.g. `{ node: "20" }`. */
export type RuntimeVersions = Partial<
  Record<"node" | "python" | "go" | "ruby" | "php" | "java" | "rust" | "deno" | "elixir" | "bun", string>
>;

/** A build plan: everything the renderer needs, decided from the repository tree alone. */
export interface BuildPlan {
  provider: Provider;
  framework: string | null;
  packageManager: PackageManager | null;
  runtimeVersions: RuntimeVersions;
  /** Runtime name → where its version came from (`settings`, `kli8nt.json`, `engines`, `.nvmrc`, `go.mod`, `default`…). */
  versionSource: Record<string, string>;
  install: string[];
  build: string[];
  /** The container's start command (shell form), or null when the image's own CMD applies (dockerfile). */
  start: string | null;
  /** Directory whose files a static server serves (relative to the repo root), or null. */
  staticOutputDir: string | null;
  /** Port the app listens on; null when the start process serves no HTTP (e.g. a worker-only Procfile). */
  port: number | null;
  /** Procfile processes other than `web` and `release` (name → command). */
  processes: Record<string, string>;
  /** Command run once before a new release goes live (Procfile `release`, Django migrate…), or null. */
  releaseCommand: string | null;
  /** Extra environment baked into the runtime image (non-secret). */
  env: Record<string, string>;
  /** Dependency manifests copied before the source so the install layer survives source changes. */
  manifests: string[];
  /** A Node build stage for Ruby/PHP/Go repos whose package.json has a `build` script. */
  nodeBuild: { packageManager: PackageManager; install: string[]; build: string[] } | null;
  /** Debian packages for the build stages (compilers, headers) and the runtime stage (shared libraries). */
  systemPackages: { build: string[]; runtime: string[] };
  /**
   * Compiled stacks (go, rust, java): whether the runtime image keeps the repository's files (minus
   * .dockerignore) in its working directory beside the binary, for apps that read templates, static files or
   * config at run time, as Heroku and Render run them. False when the tree holds nothing but code.
   */
  keepRepoFiles: boolean;
  /** Whether the repository already has a .dockerignore (then we do not write one). */
  hasDockerignore: boolean;
  warnings: string[];
  /**
   * The detection rules that decided this plan, in the order they fired (`kli8nt plan` prints them), e.g.
   * "node: package.json", "sveltekit: @sveltejs/adapter-node → node build". Optional: plans built by hand
   * (tests, stored plans) have none.
   */
  rules?: string[];
}

/** Overrides from the app's settings (highest precedence) or the repo's kli8nt.json. */
export interface PlanOverrides {
  install?: string[];
  build?: string[];
  start?: string;
  port?: number;
  runtimeVersions?: RuntimeVersions;
  staticOutputDir?: string;
}

export interface DetectOptions {
  /** App settings; they win over kli8nt.json and detection. */
  settings?: PlanOverrides;
  /** A Dockerfile (or Containerfile) path from the app's settings: used unchanged, detection skipped. */
  dockerfile?: string;
  /** Largest file read, in bytes (default 1 MiB); bigger files are ignored with a warning. */
  maxFileBytes?: number;
}
