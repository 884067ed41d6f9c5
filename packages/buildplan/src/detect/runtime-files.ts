import type { RepoTree } from "../repo-tree.ts";
import type { BuildPlan } from "../types.ts";

/** Root entries that hold only code, build tooling or documentation, never files an app opens at run time. */
const CODE_ONLY: Record<"go" | "rust" | "java", RegExp> = {
  go: /^(.*\.go|go\.(mod|sum|work|work\.sum)|cmd|internal|pkg|vendor|tools|hack|scripts)$/,
  rust: /^(src|Cargo\.(toml|lock)|build\.rs|benches|tests|examples|target|rust-toolchain(\.toml)?)$/,
  java: /^(src|pom\.xml|mvnw(\.cmd)?|gradlew(\.bat)?|gradle|(build|settings)\.gradle(\.kts)?|gradle\.properties|target|build|system\.properties|lombok\.config|.*\.iml)$/,
};

/** Documentation, CI and platform manifests, at the root of any repository. */
const NEVER_NEEDED =
  /^(\..*|README.*|LICEN[CS]E.*|COPYING.*|CHANGELOG.*|CONTRIBUTING.*|SECURITY.*|CODE_OF_CONDUCT.*|.*\.md|Makefile|Procfile|app\.json|Dockerfile.*|Containerfile|docker-compose.*|compose\.ya?ml|docs?|test|testdata|kli8nt\.json|renovate\.json)$/i;

/**
 * Rule (issue 26): a compiled app keeps the repository's files beside its binary unless the root holds only
 * code and docs. A Gin app loading `templates/*.html` from its working directory then finds them; a plain
 * API keeps its slim binary-only image.
 */
export async function planRuntimeFiles(tree: RepoTree, plan: BuildPlan): Promise<void> {
  if (plan.provider !== "go" && plan.provider !== "rust" && plan.provider !== "java") return;
  const codeOnly = CODE_ONLY[plan.provider];
  const extra = (await tree.list(".")).filter((e) => !codeOnly.test(e) && !NEVER_NEEDED.test(e));
  plan.keepRepoFiles = extra.length > 0;
  // The binary moves out of the working directory, so a repository entry named `app` cannot shadow it.
  if (plan.start === "/app/app") plan.start = binaryPath(plan);
}

/** Where the runtime image holds a Go/Rust binary: beside the app's files it is moved out of their way. */
export const binaryPath = (plan: BuildPlan) => (plan.keepRepoFiles ? "/usr/local/bin/app" : "/app/app");
