import { binaryPath } from "../detect/runtime-files.ts";
import type { BuildPlan } from "../types.ts";
import { type BaseImageKey, baseImage } from "./base-images.ts";
import {
  APP_USER,
  aptLines,
  argLines,
  cmdLine,
  copyManifests,
  envLine,
  portLines,
  runChained,
  runLines,
} from "./instructions.ts";
import { mavenWrapperEnv, registrySetup, wrapperRewrite } from "./registry-setup.ts";

interface CompiledShape {
  builder: BaseImageKey;
  runtime: BaseImageKey;
  /** Artefact produced by the build commands, and where the runtime stage puts it. */
  artefact: [from: string, to: string];
  user: string;
  /** Whether the runtime image has a shell for `sh -c` (distroless has none). */
  shell: boolean;
}

const needsShell = (start: string | null) => start !== null && /[$&|;<>`*?'"(){}]/.test(start);

function shapeOf(plan: BuildPlan, hasWrapper: boolean): CompiledShape {
  // Distroless has no shell: a start command that needs one ($PORT, &&) runs on Debian instead.
  if (plan.provider === "go" && !needsShell(plan.start)) {
    return {
      builder: "go",
      runtime: "distroless-static",
      artefact: ["/out/app", binaryPath(plan)],
      user: "65532:65532",
      shell: false,
    };
  }
  if (plan.provider === "go") {
    return {
      builder: "go",
      runtime: "debian",
      artefact: ["/out/app", binaryPath(plan)],
      user: APP_USER,
      shell: true,
    };
  }
  if (plan.provider === "rust") {
    return {
      builder: "rust",
      runtime: "debian",
      artefact: ["/out/app", binaryPath(plan)],
      user: APP_USER,
      shell: true,
    };
  }
  const tool: BaseImageKey = plan.packageManager === "gradle" ? "gradle" : "maven";
  return {
    builder: hasWrapper ? "jdk" : tool,
    runtime: "jre",
    artefact: ["/out/app.jar", "/app/app.jar"],
    user: APP_USER,
    shell: true,
  };
}

/** The repository's files (from the build context, so .dockerignore applies; or the assets stage's output). */
function repoFiles(plan: BuildPlan, user: string, assets: boolean): string[] {
  if (!plan.keepRepoFiles) return [];
  return [assets ? `COPY --from=assets --chown=${user} /app/ /app/` : `COPY --chown=${user} . /app/`];
}

/** Gradle wrapper runs read the (mirror-rewritten) distribution URL; `COPY . .` restores the original. */
function withWrapperRewrite(plan: BuildPlan, commands: string[]): string[] {
  const rewrite = wrapperRewrite(plan);
  return rewrite === null
    ? commands
    : commands.map((c) => (c.includes("./gradlew") ? `${rewrite}; ${c}` : c));
}

/** Go, Rust and Java: compile in a full toolchain image, ship only the binary or jar. */
export function renderCompiled(
  plan: BuildPlan,
  map: Readonly<Record<string, string>>,
  assets: boolean,
): string[] {
  const hasWrapper = plan.manifests.some((m) => m === "mvnw" || m === "gradlew");
  const shape = shapeOf(plan, hasWrapper);
  const [from, to] = shape.artefact;
  return [
    `FROM ${baseImage(shape.builder, plan, map)} AS build`,
    "WORKDIR /app",
    ...argLines(plan.provider),
    ...envLine(plan.env),
    ...mavenWrapperEnv(plan),
    ...aptLines(plan.systemPackages.build),
    ...registrySetup(plan),
    ...copyManifests(plan.manifests),
    ...runLines(withWrapperRewrite(plan, plan.install)),
    assets ? "COPY --from=assets /app/ ./" : "COPY . .",
    ...runChained(withWrapperRewrite(plan, plan.build)),
    "",
    `FROM ${baseImage(shape.runtime, plan, map)} AS runtime`,
    // Relative paths in the app (templates/, config files) resolve against the repository's root.
    "WORKDIR /app",
    ...envLine(plan.env),
    ...(shape.shell ? aptLines(plan.systemPackages.runtime) : []),
    `USER ${shape.user}`,
    ...portLines(plan),
    ...cmdLine(plan.start, shape.shell),
    ...repoFiles(plan, shape.user, assets),
    `COPY --from=build ${from} ${to}`,
  ];
}
