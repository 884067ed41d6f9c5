import {
  createCronJob,
  deleteCronJob,
  getApp,
  getCronJob,
  lastCronRuns,
  listCronJobs,
  listCronRuns,
} from "@kli8nt/db";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ApiDeps } from "../deps.ts";
import { requireUser } from "../plugins/auth.ts";
import { appNameParams, commonErrors, problemView } from "../schemas.ts";
import {
  cronCreateBody,
  cronJobView,
  cronListView,
  cronParams,
  cronRunListView,
  cronRunsQuery,
  toCronJobView,
  toCronRunView,
} from "./cron-schemas.ts";

/**
 * An app's scheduled commands (ADR 0191). The api only records them: the local scheduler or a Kubernetes
 * CronJob runs them in a container of the current release, and the runs land in the history below.
 */
export function cronRoutes(deps: ApiDeps): FastifyPluginAsyncZod {
  const { db } = deps;
  return async (app) => {
    app.post(
      "/apps/:name/cron",
      {
        schema: {
          tags: ["cron"],
          summary: "Schedule a command (cron, in UTC)",
          params: appNameParams,
          body: cronCreateBody,
          response: { 201: cronJobView, ...commonErrors, 403: problemView, 409: problemView },
        },
      },
      async (request, reply) => {
        const found = await getApp(db, requireUser(request).id, request.params.name);
        const job = await createCronJob(db, found, request.body, deps.config.formation.cronJobsPerApp);
        deps.onOutboxWrite();
        return reply
          .code(201)
          .header("location", `/api/apps/${found.name}/cron/${job.name}`)
          .send(toCronJobView(job, null, new Date()));
      },
    );

    app.get(
      "/apps/:name/cron",
      {
        schema: {
          tags: ["cron"],
          summary: "An app's cron jobs with their next and last run",
          params: appNameParams,
          response: { 200: cronListView, ...commonErrors },
        },
      },
      async (request) => {
        const found = await getApp(db, requireUser(request).id, request.params.name);
        const [jobs, last] = await Promise.all([listCronJobs(db, found.id), lastCronRuns(db, found.id)]);
        const now = new Date();
        return { items: jobs.map((job) => toCronJobView(job, last.get(job.id) ?? null, now)) };
      },
    );

    app.delete(
      "/apps/:name/cron/:cronName",
      {
        schema: {
          tags: ["cron"],
          summary: "Delete a cron job and its history (a run in progress finishes)",
          params: cronParams,
          response: { 204: z.null(), ...commonErrors },
        },
      },
      async (request, reply) => {
        const found = await getApp(db, requireUser(request).id, request.params.name);
        await deleteCronJob(db, found, request.params.cronName);
        deps.onOutboxWrite();
        return reply.code(204).send(null);
      },
    );

    app.get(
      "/apps/:name/cron/:cronName/runs",
      {
        schema: {
          tags: ["cron"],
          summary: "A cron job's runs, newest first: state, exit code, times, reason",
          params: cronParams,
          querystring: cronRunsQuery,
          response: { 200: cronRunListView, ...commonErrors },
        },
      },
      async (request) => {
        const found = await getApp(db, requireUser(request).id, request.params.name);
        const job = await getCronJob(db, found.id, request.params.cronName);
        const { limit, before } = request.query;
        const runs = await listCronRuns(db, job.id, {
          limit: limit + 1,
          before: before === undefined ? undefined : new Date(before),
        });
        const page = runs.slice(0, limit);
        return {
          items: page.map(toCronRunView),
          nextCursor: runs.length > limit ? (page.at(-1)?.scheduledAt.toISOString() ?? null) : null,
        };
      },
    );
  };
}
