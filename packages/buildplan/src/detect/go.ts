import { basePlan, existing, pickVersion, toolVersion } from "../plan-base.ts";
import type { RepoTree } from "../repo-tree.ts";
import type { BuildPlan } from "../types.ts";
import { planRuntimeFiles } from "./runtime-files.ts";

/** The package to build: the root if it has .go files, else the first (sorted) `cmd/*` folder. */
async function buildTarget(tree: RepoTree): Promise<string | null> {
  if ((await tree.list(".")).some((f) => f.endsWith(".go") && !f.endsWith("_test.go"))) return ".";
  for (const dir of await tree.list("cmd")) {
    if (!/^[\w.-]+$/.test(dir) || !(await tree.isDir(`cmd/${dir}`))) continue;
    if ((await tree.list(`cmd/${dir}`)).some((f) => f.endsWith(".go"))) return `./cmd/${dir}`;
  }
  return null;
}

/** Go modules: a static binary on a minimal runtime image. */
export async function detectGo(tree: RepoTree): Promise<BuildPlan> {
  const plan = basePlan("go", 8080);
  const gomod = (await tree.read("go.mod")) ?? "";
  plan.packageManager = "go";
  plan.manifests = await existing(tree, ["go.mod", "go.sum"]);
  await pickVersion(plan, "go", [
    ["go.mod", async () => gomod.match(/^go\s+(\d+\.\d+)/m)?.[1]],
    [".tool-versions", () => toolVersion(tree, "golang", "go")],
  ]);
  plan.install = ["go mod download"];
  const target = await buildTarget(tree);
  if (target === null) plan.warnings.push("no main package at the root or under cmd/; set a build command");
  plan.build = [`CGO_ENABLED=0 go build -ldflags="-w -s" -o /out/app ${target ?? "."}`];
  plan.start = "/app/app";
  if (/gin-gonic\/gin/.test(gomod)) plan.framework = "gin";
  else if (/labstack\/echo/.test(gomod)) plan.framework = "echo";
  else if (/gofiber\/fiber/.test(gomod)) plan.framework = "fiber";
  await planRuntimeFiles(tree, plan);
  return plan;
}
