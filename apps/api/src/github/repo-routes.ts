import type { GitHubRepo } from "@kli8nt/github";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ApiDeps } from "../deps.ts";
import { requireUser } from "../plugins/auth.ts";
import { commonErrors, problemView } from "../schemas.ts";
import { withUserGitHub } from "./user-github.ts";

const PER_PAGE = 30;

const repoView = z.object({
  owner: z.string(),
  name: z.string(),
  fullName: z.string(),
  private: z.boolean(),
  defaultBranch: z.string(),
  url: z.string().describe("Pass as repository.url when creating an app"),
  description: z.string().nullable(),
  canAdmin: z.boolean().describe("Whether Kli8nt can add the push webhook with your access"),
});

const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextPage: z.number().int().nullable() });

const githubErrors = { ...commonErrors, 403: problemView, 503: problemView } as const;

const ownerRepoParams = z.strictObject({
  owner: z.string().regex(/^[A-Za-z0-9-]{1,100}$/),
  repo: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/),
});

function toRepoView(r: GitHubRepo): z.infer<typeof repoView> {
  return {
    owner: r.owner,
    name: r.name,
    fullName: r.fullName,
    private: r.private,
    defaultBranch: r.defaultBranch,
    url: r.htmlUrl,
    description: r.description,
    canAdmin: r.permissions.admin,
  };
}

/** The repository picker: the signed-in user's repositories (private ones included) and their branches. */
export function githubRepoRoutes(deps: ApiDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      "/github/repos",
      {
        schema: {
          tags: ["github"],
          summary: "Your GitHub repositories, private ones marked; `query` filters by owner/name",
          querystring: z.strictObject({
            query: z.string().trim().max(100).optional(),
            page: z.coerce.number().int().min(1).max(1000).default(1),
          }),
          response: { 200: pageOf(repoView), ...githubErrors },
        },
      },
      async (request) => {
        const { query, page } = request.query;
        const log = { ...deps, logger: request.log };
        return withUserGitHub(log, requireUser(request).id, async (github) => {
          if (query) {
            // GitHub has no substring filter on /user/repos: the search walks pages and returns one page.
            const found = await github.searchRepos(query, PER_PAGE * page);
            const items = found.slice(PER_PAGE * (page - 1)).map(toRepoView);
            return { items, nextPage: found.length === PER_PAGE * page ? page + 1 : null };
          }
          const result = await github.listRepos({ page, perPage: PER_PAGE });
          return { items: result.items.map(toRepoView), nextPage: result.nextPage ?? null };
        });
      },
    );

    app.get(
      "/github/repos/:owner/:repo/branches",
      {
        schema: {
          tags: ["github"],
          summary: "Branches of one of your repositories",
          params: ownerRepoParams,
          querystring: z.strictObject({ page: z.coerce.number().int().min(1).max(1000).default(1) }),
          response: { 200: pageOf(z.object({ name: z.string(), sha: z.string() })), ...githubErrors },
        },
      },
      async (request) => {
        const { owner, repo } = request.params;
        const log = { ...deps, logger: request.log };
        return withUserGitHub(log, requireUser(request).id, async (github) => {
          const result = await github.listBranches(owner, repo, { page: request.query.page });
          return { items: result.items, nextPage: result.nextPage ?? null };
        });
      },
    );
  };
}
