import { getApp } from "@kli8nt/db";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ApiDeps } from "../deps.ts";
import { requireUser } from "../plugins/auth.ts";
import { createAppPlanner } from "../repository/app-plan.ts";
import { appNameParams, commonErrors, problemView } from "../schemas.ts";

/** The plan as `kli8nt plan --json` prints it, plus the commit it was detected on. */
const planView = z.looseObject({
  provider: z.string(),
  framework: z.string().nullable(),
  runtimeVersions: z.record(z.string(), z.string()),
  versionSource: z.record(z.string(), z.string()),
  install: z.array(z.string()),
  build: z.array(z.string()),
  start: z.string().nullable(),
  port: z.number().int().nullable(),
  warnings: z.array(z.string()),
  /** What decided the plan: the provider and framework rule, or the file or setting used unchanged. */
  detectedBy: z.string(),
  commitSha: z.string(),
  branch: z.string(),
  rootDir: z.string(),
  buildSettings: z.record(z.string(), z.string()),
});

export function planRoutes(deps: ApiDeps): FastifyPluginAsyncZod {
  const planner = createAppPlanner(deps);
  return async (app) => {
    app.get(
      "/apps/:name/plan",
      {
        schema: {
          tags: ["apps"],
          summary: "The build plan of the app's settings and the latest commit of its branch",
          params: appNameParams,
          response: { 200: planView, ...commonErrors, 422: problemView, 503: problemView },
        },
      },
      async (request) => {
        const user = requireUser(request);
        const found = await getApp(deps.db, user.id, request.params.name);
        const { plan, commitSha, branch } = await planner(user.id, found);
        return {
          ...plan,
          detectedBy: detectedBy(plan),
          commitSha,
          branch,
          rootDir: found.repository.rootDir,
          buildSettings: { ...found.buildSettings },
        };
      },
    );
  };
}

function detectedBy(plan: { provider: string; framework: string | null; manifests: string[] }): string {
  if (plan.provider === "dockerfile")
    return `dockerfile: ${plan.manifests[0] ?? "Dockerfile"} used unchanged`;
  return plan.framework ? `${plan.provider} (${plan.framework})` : plan.provider;
}
