import { spawn } from "node:child_process";
import type { IncomingMessage, ServerResponse } from "node:http";
import { relative } from "node:path";
import { isolatedGitEnv } from "./git-repos.ts";
import { sendText, tokenFromRequest } from "./http-io.ts";
import type { FakeRepo, FakeStore } from "./store.ts";

/** `/owner/repo(.git)/info/refs` and the two smart-HTTP service endpoints. */
export const GIT_PATH = /^\/([^/]+)\/([^/]+?)(?:\.git)?\/(info\/refs|git-upload-pack|git-receive-pack)$/;

export interface GitHttpContext {
  store: FakeStore;
  home: string;
  projectRoot: string;
  onGitRequest?: (info: { repo: string; path: string }) => void | Promise<void>;
}

const AUTH_REQUIRED = { "www-authenticate": 'Basic realm="GitHub"' };

/**
 * Serves git smart HTTP for a repository as github.com does: public repos to anyone, private repos only to
 * a live token of the owner or a collaborator (401 without credentials, 404 when the token lacks access),
 * read-only (pushes go through the test controls so that they also fire webhooks).
 */
export async function serveGit(ctx: GitHttpContext, req: IncomingMessage, res: ServerResponse, url: URL) {
  const match = GIT_PATH.exec(url.pathname);
  if (!match) return sendText(res, 404, "Not Found");
  const [, owner = "", name = "", tail = ""] = match;
  const service = tail === "info/refs" ? url.searchParams.get("service") : tail;
  if (service !== "git-upload-pack" && service !== "git-receive-pack") {
    return sendText(
      res,
      403,
      "Please upgrade your git client.\nGitHub.com no longer supports git over dumb-http",
    );
  }
  const access = checkAccess(ctx, req, owner, name);
  if ("status" in access)
    return sendText(res, access.status, access.text, access.status === 401 ? AUTH_REQUIRED : {});
  const { repo, login } = access;
  if (service === "git-receive-pack") {
    return sendText(
      res,
      403,
      `Permission to ${owner}/${name}.git denied: the fake accepts pushes via push()`,
    );
  }
  await ctx.onGitRequest?.({ repo: `${repo.owner}/${repo.name}`, path: url.pathname });
  runHttpBackend(ctx, repo, req, res, url, tail, login);
}

/** Who may read: anyone for public repos; for private ones a live token with `repo` scope and access. */
type Access = { status: 401 | 404; text: string } | { repo: FakeRepo; login: string | undefined };

function checkAccess(ctx: GitHttpContext, req: IncomingMessage, owner: string, name: string): Access {
  const presented = tokenFromRequest(req);
  const token = presented === undefined ? undefined : ctx.store.liveToken(presented);
  if (presented !== undefined && !token) {
    return { status: 401, text: "Invalid username or token. Password authentication is not supported." };
  }
  const repo = ctx.store.findRepo(owner, name);
  const readable =
    repo && ctx.store.canRead(repo, token?.login) && (!repo.private || hasRepoScope(token?.scopes));
  if (!repo || !readable) {
    // Without credentials git only retries with credentials after a 401, so hide existence behind it.
    return token
      ? { status: 404, text: "Repository not found." }
      : { status: 401, text: "Authentication required" };
  }
  return { repo, login: token?.login };
}

function hasRepoScope(scopes: string[] | undefined): boolean {
  return scopes?.includes("repo") ?? false;
}

function runHttpBackend(
  ctx: GitHttpContext,
  repo: FakeRepo,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  tail: string,
  login: string | undefined,
): void {
  const env: Record<string, string> = {
    GIT_PROJECT_ROOT: ctx.projectRoot,
    GIT_HTTP_EXPORT_ALL: "1",
    PATH_INFO: `/${relative(ctx.projectRoot, repo.gitDir)}/${tail}`,
    REQUEST_METHOD: req.method ?? "GET",
    QUERY_STRING: url.search.replace(/^\?/, ""),
    CONTENT_TYPE: req.headers["content-type"] ?? "",
    REMOTE_ADDR: req.socket.remoteAddress ?? "127.0.0.1",
    REMOTE_USER: login ?? "",
    GIT_PROTOCOL: String(req.headers["git-protocol"] ?? ""),
    HTTP_CONTENT_ENCODING: String(req.headers["content-encoding"] ?? ""),
  };
  if (req.headers["content-length"]) env.CONTENT_LENGTH = req.headers["content-length"];
  const child = spawn("git", ["http-backend"], { env: isolatedGitEnv(ctx.home, env) });
  const stderr: Buffer[] = [];
  child.stderr.on("data", (c: Buffer) => stderr.push(c));
  child.on("error", (err) => {
    if (!res.headersSent) sendText(res, 500, `git http-backend failed: ${err.message}`);
  });
  req.pipe(child.stdin);
  child.stdin.on("error", () => req.unpipe(child.stdin));
  pipeCgiResponse(child.stdout, res, () => Buffer.concat(stderr).toString("utf8"));
}

/** Splits the CGI answer into a status line, headers and a streamed body. */
function pipeCgiResponse(out: NodeJS.ReadableStream, res: ServerResponse, stderr: () => string): void {
  let head = Buffer.alloc(0);
  let headersDone = false;
  out.on("data", (chunk: Buffer) => {
    if (headersDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf("\r\n\r\n");
    if (end < 0) return;
    headersDone = true;
    let status = 200;
    const headers: Record<string, string> = {};
    for (const line of head.subarray(0, end).toString("latin1").split("\r\n")) {
      const colon = line.indexOf(":");
      const key = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (key === "status") status = Number.parseInt(value, 10);
      else headers[key] = value;
    }
    res.writeHead(status, headers);
    res.write(head.subarray(end + 4));
  });
  out.on("end", () => {
    if (!headersDone) {
      sendText(res, 500, `git http-backend gave no answer: ${stderr()}`);
      return;
    }
    res.end();
  });
}
