import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serveApi } from "./api-server.ts";
import { createFakeGitHubControls } from "./fake-github-controls.ts";
import type { FakeGitHub, StartFakeGitHubOptions } from "./fake-github-types.ts";
import { GIT_PATH, serveGit } from "./git-http-backend.ts";
import { sendGitHubError, sendText } from "./http-io.ts";
import { accessToken, decideAuthorize, type OAuthDeps, showAuthorize } from "./oauth-routes.ts";
import { FakeStore } from "./store.ts";
import { createWebhookSender } from "./webhook-delivery.ts";

const API_PREFIX = "/api/v3";

type OAuthRoute = (deps: OAuthDeps, req: IncomingMessage, res: ServerResponse, url: URL) => unknown;
const OAUTH_ROUTES: Record<string, OAuthRoute> = {
  "GET /login/oauth/authorize": (deps, _req, res, url) => showAuthorize(deps, res, url),
  "POST /login/oauth/authorize": (deps, req, res) => decideAuthorize(deps, req, res),
  "POST /login/oauth/access_token": accessToken,
};

/**
 * Starts a fake GitHub on 127.0.0.1 (one node:http server): the OAuth web flow, the REST API under
 * `/api/v3` (GitHub Enterprise layout), webhook delivery and git smart HTTP through `git http-backend`.
 */
export async function startFakeGitHub(opts: StartFakeGitHubOptions = {}): Promise<FakeGitHub> {
  const ownsDataDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), "kli8nt-fake-github-")));
  const home = join(dataDir, "home");
  const projectRoot = join(dataDir, "git");
  await mkdir(home, { recursive: true });
  await mkdir(projectRoot, { recursive: true });

  const store = new FakeStore();
  const webhooks = createWebhookSender(store);
  let signedIn: string | undefined;
  const urls = { web: "", api: "" };
  const oauth: OAuthDeps = {
    store,
    codeTtlMs: opts.codeTtlMs ?? 10 * 60_000,
    signedInAs: () => signedIn ?? store.users.values().next().value?.login,
  };
  const gitCtx = {
    store,
    home,
    projectRoot,
    ...(opts.onGitRequest ? { onGitRequest: opts.onGitRequest } : {}),
  };

  const route = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", urls.web);
    const path = url.pathname;
    if (path === API_PREFIX || path.startsWith(`${API_PREFIX}/`)) {
      return serveApi({ store, urls, home, webhooks }, req, res, url, path.slice(API_PREFIX.length) || "/");
    }
    const oauthRoute = OAUTH_ROUTES[`${req.method} ${path}`];
    if (oauthRoute) return oauthRoute(oauth, req, res, url);
    if (GIT_PATH.test(path)) return serveGit(gitCtx, req, res, url);
    sendText(res, 404, "Not Found");
  };

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy(err instanceof Error ? err : undefined);
        return;
      }
      sendGitHubError(res, 500, `fake GitHub failed: ${err instanceof Error ? err.message : String(err)}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  urls.web = `http://127.0.0.1:${port}`;
  urls.api = `${urls.web}${API_PREFIX}`;

  const controls = createFakeGitHubControls({
    store,
    urls,
    home,
    projectRoot,
    webhooks,
    signIn: (login) => {
      signedIn = login;
    },
  });

  for (const app of opts.oauthApps ?? []) controls.addOAuthApp(app);

  return {
    url: urls.web,
    apiUrl: urls.api,
    gitUrl: urls.web,
    ...controls,
    get deliveries() {
      return store.deliveries;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
