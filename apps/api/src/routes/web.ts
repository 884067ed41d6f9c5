import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";

/** apps/web/dist, next to this app in the monorepo (the image keeps the same layout). */
export const WEB_DIST = fileURLToPath(new URL("../../../web/dist/", import.meta.url));

export interface WebOptions {
  /** The built UI (`npm run build -w @kli8nt/web`); defaults to apps/web/dist. */
  readonly dir?: string;
}

// Paths the api owns: an unknown one there is a problem+json 404, never the UI's page.
const API_PATHS = /^\/(api|auth)(\/|$)/;
const YEAR_MS = 365 * 24 * 3600 * 1000;

/**
 * Serves the single-page UI: files from the build, and index.html for any other GET that asks for HTML
 * (client-side routes such as /apps/shop/logs). Routes the api registers always win over this one.
 */
export function webRoutes(options: WebOptions = {}): FastifyPluginAsync {
  const dir = options.dir ?? WEB_DIST;
  return async (app) => {
    // `npm start` builds the UI beside a starting api: until index.html exists, the "not built" page answers.
    let built = false;
    const isBuilt = () => {
      built ||= existsSync(`${dir}/index.html`);
      return built;
    };
    await app.register(fastifyStatic, { root: dir, serve: false, index: false });
    app.get("/*", { schema: { hide: true } }, async (request, reply) => serve(request, reply, isBuilt()));
  };
}

function serve(request: FastifyRequest, reply: FastifyReply, built: boolean): FastifyReply {
  const path = new URL(request.url, "http://x").pathname;
  if (API_PATHS.test(path)) return notFound(reply);
  const isFile = /\.[a-z0-9]+$/i.test(path.split("/").pop() ?? "");
  if (built && isFile) {
    // Vite names assets by content hash, so they never change under a URL.
    const immutable = path.startsWith("/assets/");
    return reply.sendFile(path, immutable ? { maxAge: YEAR_MS, immutable: true } : { maxAge: 0 });
  }
  if (!acceptsHtml(request)) return notFound(reply);
  return built ? sendIndex(reply) : sendNotBuilt(reply);
}

/** The api's own 404 (problem+json), as if this route did not exist. */
function notFound(reply: FastifyReply): FastifyReply {
  reply.callNotFound();
  return reply;
}

function acceptsHtml(request: FastifyRequest): boolean {
  return (request.headers.accept ?? "").includes("text/html");
}

function sendIndex(reply: FastifyReply): FastifyReply {
  // Revalidated on every load, so a new build's asset names are picked up at once.
  return reply.header("cache-control", "no-cache").sendFile("index.html", { maxAge: 0, cacheControl: false });
}

// Plain markup: the CSP (plugins/security-headers.ts) refuses inline styles, and this page needs none.
function sendNotBuilt(reply: FastifyReply): FastifyReply {
  return reply
    .code(503)
    .header("cache-control", "no-store")
    .type("text/html; charset=utf-8")
    .send(`<!doctype html>
<html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kli8nt: the web UI is not built</title>
<body>
<h1>The web UI is not built yet</h1>
<p>The API is running (see <a href="/api/openapi.json">/api/openapi.json</a>), but the dashboard has not been
built on this machine. Build it, then restart Kli8nt:</p>
<pre>npm run build -w @kli8nt/web</pre>
</body></html>`);
}
