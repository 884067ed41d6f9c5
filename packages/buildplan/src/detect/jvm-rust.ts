import { parse as parseToml } from "smol-toml";
import { basePlan, existing, isRecord, pickVersion } from "../plan-base.ts";
import type { RepoTree } from "../repo-tree.ts";
import type { BuildPlan } from "../types.ts";
import { planRuntimeFiles } from "./runtime-files.ts";

/** Copies the runnable jar to /out/app.jar; the glob covers single- and multi-module layouts, not `-plain.jar`. */
const COPY_JAR = (dirs: string) =>
  `mkdir -p /out && cp "$(ls -1 ${dirs} 2>/dev/null | grep -v -- '-plain.jar$' | head -n 1)" /out/app.jar`;

/** Every file of a folder and of its listed subfolders (not recursive): wrapper jars, scripts, configs. */
async function filesOf(tree: RepoTree, dirs: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const dir of dirs) {
    for (const name of await tree.list(dir)) {
      const path = `${dir}/${name}`;
      if (/^[\w.-]+$/.test(name) && (await tree.isFile(path))) files.push(path);
    }
  }
  return files;
}

async function mavenSteps(tree: RepoTree, plan: BuildPlan): Promise<void> {
  const wrapper = await tree.isFile("mvnw");
  plan.packageManager = "maven";
  // The whole .mvn folder: maven-wrapper.jar (older wrappers run it), jvm.config, maven.config, extensions.xml.
  plan.manifests = [
    ...(await existing(tree, ["pom.xml", "mvnw"])),
    ...(await filesOf(tree, [".mvn", ".mvn/wrapper"])),
  ];
  const mvn = wrapper ? "./mvnw" : "mvn";
  plan.install = wrapper
    ? ["chmod +x mvnw", `${mvn} -B dependency:go-offline`]
    : [`${mvn} -B dependency:go-offline`];
  plan.build = [`${mvn} -B -DskipTests clean package`, COPY_JAR("target/*.jar")];
}

async function gradleSteps(tree: RepoTree, plan: BuildPlan): Promise<void> {
  const wrapper = await tree.isFile("gradlew");
  plan.packageManager = "gradle";
  plan.manifests = [
    ...(await existing(tree, [
      "build.gradle",
      "build.gradle.kts",
      "settings.gradle",
      "settings.gradle.kts",
      "gradle.properties",
      "gradlew",
    ])),
    // gradle-wrapper.jar runs the wrapper; libs.versions.toml is the version catalog the build scripts read.
    ...(await filesOf(tree, ["gradle", "gradle/wrapper"])),
  ];
  const gw = wrapper ? "./gradlew --no-daemon" : "gradle --no-daemon";
  // `--version` fetches the wrapper's distribution into a layer cached on the manifests.
  plan.install = wrapper ? ["chmod +x gradlew", `${gw} --version`] : [];
  plan.build = [`${gw} clean build -x check -x test`, COPY_JAR("build/libs/*.jar */build/libs/*.jar")];
}

/** Java with Maven or Gradle; Spring Boot when its plugin or parent is there. */
export async function detectJava(tree: RepoTree): Promise<BuildPlan> {
  const plan = basePlan("java", 8080);
  const pom = await tree.read("pom.xml");
  const gradle = (await tree.read("build.gradle.kts")) ?? (await tree.read("build.gradle")) ?? "";
  const text = pom ?? gradle;
  if (text.includes("org.springframework.boot")) plan.framework = "spring-boot";
  await pickVersion(plan, "java", [
    ["pom.xml", async () => pom?.match(/<(?:maven\.compiler\.release|java\.version)>\s*(\d+)/)?.[1]],
    [
      "build.gradle",
      async () => gradle.match(/languageVersion(?:\.set\(|\s*=\s*)JavaLanguageVersion\.of\((\d+)\)/)?.[1],
    ],
  ]);
  if (pom !== null) await mavenSteps(tree, plan);
  else await gradleSteps(tree, plan);
  plan.start = "java -Dserver.port=$PORT $JAVA_OPTS -jar /app/app.jar";
  await planRuntimeFiles(tree, plan);
  return plan;
}

/** Rust: the binary named by `default-run`, the first `[[bin]]`, or the package name. */
export async function detectRust(tree: RepoTree): Promise<BuildPlan> {
  const plan = basePlan("rust", 8080);
  plan.packageManager = "cargo";
  plan.manifests = await existing(tree, ["Cargo.toml", "Cargo.lock", "rust-toolchain.toml"]);
  let cargo: Record<string, unknown> = {};
  try {
    cargo = parseToml((await tree.read("Cargo.toml")) ?? "") as Record<string, unknown>;
  } catch {
    plan.warnings.push("ignored Cargo.toml: invalid TOML");
  }
  const pkg = isRecord(cargo.package) ? cargo.package : {};
  const bins = Array.isArray(cargo.bin) ? cargo.bin.filter(isRecord) : [];
  const raw = pkg["default-run"] ?? bins[0]?.name ?? pkg.name;
  const name = typeof raw === "string" && /^[\w-]+$/.test(raw) ? raw : "app";
  await pickVersion(plan, "rust", [
    ["rust-version", async () => (typeof pkg["rust-version"] === "string" ? "1" : null)],
  ]);
  // Dependency-only layer: build a stub main against the real manifests, then drop our own artefacts.
  plan.install = [
    `mkdir -p src && echo 'fn main() {}' > src/main.rs && cargo build --release && rm -rf src target/release/deps/${name.replace(/-/g, "_")}* target/release/${name}*`,
  ];
  plan.build = ["cargo build --release", `mkdir -p /out && cp target/release/${name} /out/app`];
  plan.start = "/app/app";
  plan.env.ROCKET_ADDRESS = "0.0.0.0";
  if (plan.manifests.length > 0 && !(await tree.isFile("Cargo.lock")))
    plan.warnings.push("no Cargo.lock; dependencies are not pinned");
  await planRuntimeFiles(tree, plan);
  return plan;
}
