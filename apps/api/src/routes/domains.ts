import { ConflictError, NotAllowedError } from "@kli8nt/core";
import {
  createDomain,
  type DomainRow,
  deleteAppDomain,
  enqueueAppChanged,
  findPreviewByAppId,
  getApp,
  listDomains,
} from "@kli8nt/db";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ApiDeps } from "../deps.ts";
import { appsDomainOf, defaultHostOf, domainDetail } from "../domains/dns-advice.ts";
import { assertNotPlatformHost, normaliseHostname } from "../domains/hostname.ts";
import { requireUser } from "../plugins/auth.ts";
import { appNameParams, commonErrors, problemView } from "../schemas.ts";
import { domainCreateBody, domainParams, domainView } from "./domain-schemas.ts";

function toView(row: DomainRow, target: string): z.infer<typeof domainView> {
  return {
    hostname: row.hostname,
    wildcard: row.wildcard,
    status: row.status,
    detail: domainDetail(row, target),
    target,
    certificate: row.certNotAfter
      ? {
          notAfter: row.certNotAfter.toISOString(),
          issuedAt: row.certIssuedAt?.toISOString() ?? null,
          issuer: row.certIssuer,
        }
      : null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** `…/apps/:name/domains` (issue 25, ADR 0220): custom hostnames, one app each across all users. */
export function domainRoutes(deps: ApiDeps): FastifyPluginAsyncZod {
  const { db, config } = deps;
  const platform = {
    appsDomain: appsDomainOf(config.appUrlTemplate),
    apiHost: new URL(config.publicUrl).hostname,
  };
  return async (app) => {
    app.post(
      "/apps/:name/domains",
      {
        schema: {
          tags: ["domains"],
          summary:
            "Attach a custom hostname: served over HTTP at once, over HTTPS once its certificate is issued",
          params: appNameParams,
          body: domainCreateBody,
          response: {
            201: domainView,
            ...commonErrors,
            403: problemView,
            409: problemView,
            422: problemView,
          },
        },
      },
      async (request, reply) => {
        const user = requireUser(request);
        const found = await getApp(db, user.id, request.params.name);
        assertNotPlatformHost(request.body.hostname, platform);
        const { hostname, wildcard } = normaliseHostname(request.body.hostname);
        if (wildcard && !user.isAdmin) {
          throw new NotAllowedError(
            "DOMAIN_WILDCARD_ADMIN_ONLY",
            "Only an administrator can attach a wildcard domain",
            {
              details: { hostname },
            },
          );
        }
        if (await findPreviewByAppId(db, found.id)) {
          throw new ConflictError(
            "DOMAIN_ON_PREVIEW",
            `${found.name} is a pull request preview, removed with its pull request: attach the domain to the app it previews`,
          );
        }
        // The AppChanged in the same transaction: the cluster's controller converges the app's domains now.
        const row = await db.transaction(async (tx) => {
          const created = await createDomain(tx, found.id, hostname, wildcard);
          await enqueueAppChanged(tx, found, "domains");
          return created;
        });
        deps.onOutboxWrite();
        await deps.domains?.changed();
        request.log.info({ app: found.name, hostname }, "Attached a custom domain");
        return reply.code(201).send(toView(row, defaultHostOf(config.appUrlTemplate, found.name)));
      },
    );

    app.get(
      "/apps/:name/domains",
      {
        schema: {
          tags: ["domains"],
          summary: "An app's custom domains, with their certificate status and the DNS record each needs",
          params: appNameParams,
          response: { 200: z.object({ items: z.array(domainView) }), ...commonErrors },
        },
      },
      async (request) => {
        const found = await getApp(db, requireUser(request).id, request.params.name);
        const target = defaultHostOf(config.appUrlTemplate, found.name);
        return { items: (await listDomains(db, found.id)).map((row) => toView(row, target)) };
      },
    );

    app.delete(
      "/apps/:name/domains/:hostname",
      {
        schema: {
          tags: ["domains"],
          summary: "Detach a custom domain: its route and certificate are removed",
          params: domainParams,
          response: { 204: z.null().describe("Removed"), ...commonErrors },
        },
      },
      async (request, reply) => {
        const found = await getApp(db, requireUser(request).id, request.params.name);
        const { hostname } = normaliseHostname(request.params.hostname);
        await db.transaction(async (tx) => {
          await deleteAppDomain(tx, found.id, hostname);
          await enqueueAppChanged(tx, found, "domains");
        });
        deps.onOutboxWrite();
        await deps.domains?.changed();
        request.log.info({ app: found.name, hostname }, "Detached a custom domain");
        return reply.code(204).send(null);
      },
    );
  };
}
