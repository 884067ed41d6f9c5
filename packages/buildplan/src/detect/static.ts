import { basePlan } from "../plan-base.ts";
import type { RepoTree } from "../repo-tree.ts";
import type { BuildPlan } from "../types.ts";

export const STATIC_START = "caddy run --config /etc/kli8nt/Caddyfile --adapter caddyfile";

/** Static sites: a Staticfile `root:`, else root index.html, else public/, else dist/. */
export async function detectStatic(tree: RepoTree): Promise<BuildPlan | null> {
  const staticfile = await tree.read("Staticfile");
  const declared = staticfile?.match(/^\s*root:\s*(\S+)/m)?.[1]?.replace(/\/$/, "");
  let dir: string | null = null;
  if (declared && !declared.includes("..") && (await tree.isDir(declared))) dir = declared;
  else if (await tree.isFile("index.html")) dir = ".";
  else if (await tree.isFile("public/index.html")) dir = "public";
  else if (await tree.isFile("dist/index.html")) dir = "dist";
  if (dir === null) return null;
  const plan = basePlan("static", 8080);
  plan.staticOutputDir = dir;
  plan.start = STATIC_START;
  return plan;
}
