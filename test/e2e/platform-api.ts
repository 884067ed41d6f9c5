import { execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { eventually, type FakeGitHub } from "@kli8nt/testkit";
import { expect } from "vitest";
import type { PlatformProcess } from "./platform-process.ts";

export const ADMIN_TOKEN = "e2e-admin-token-0123456789abcdef0123456789";

export type Deployment = {
  id: string;
  number: number;
  state: string;
  reason: string | null;
  image: string | null;
  trigger: string;
};

/** The environment `kli8nt start` gets in the e2e suites (base images etc. from start_containers). */
export function platformEnv(
  dataDir: string,
  routerPort: number,
  source: NodeJS.ProcessEnv,
): Record<string, string> {
  return {
    KLI8NT_DATA_DIR: dataDir,
    KLI8NT_ADMIN_TOKEN: ADMIN_TOKEN,
    KLI8NT_LOG_LEVEL: source.KLI8NT_E2E_OUTPUT ? "info" : "warn",
    KLI8NT_APP_URL_TEMPLATE: `http://{app}.localhost:${routerPort}`,
    KLI8NT_BASE_IMAGES: source.KLI8NT_TEST_BASE_IMAGES ?? "{}",
    KLI8NT_NPM_REGISTRY: source.KLI8NT_TEST_NPM_REGISTRY ?? "https://registry.npmjs.org/",
    KLI8NT_BUILD_CA_FILE: source.KLI8NT_TEST_CA_FILE ?? "/etc/ssl/certs/ca-certificates.crt",
    KLI8NT_HEALTH_TIMEOUT_SECONDS: "15",
    KLI8NT_DRAIN_SECONDS: "2",
    KLI8NT_STOP_GRACE_SECONDS: "2",
  };
}

/** The api of a running platform, as the admin. */
export function platformApi(base: () => string) {
  async function call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
    const res = await fetch(`${base()}/api${path}`, {
      method,
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, json: (await res.json()) as T };
  }
  /** Polls the deployment until `done(state)` (default: live or failed). */
  async function waitFor(
    id: string,
    done: (state: string) => boolean = (s) => s === "live" || s === "failed",
    timeoutMs = 180_000,
  ): Promise<Deployment> {
    return eventually(
      `deployment ${id} in the expected state`,
      async () => {
        const { json } = await call<Deployment>("GET", `/deployments/${id}`);
        return json && done(json.state) ? json : undefined;
      },
      timeoutMs,
      100,
    );
  }
  return { call, waitFor };
}

/** Names of the podman containers of an app (running or not). */
export function appContainers(app: string): string[] {
  return execFileSync(
    "podman",
    ["ps", "-a", "--filter", `label=kli8nt.app=${app}`, "--format", "{{.Names}}"],
    {
      encoding: "utf8",
    },
  )
    .split("\n")
    .filter(Boolean);
}

/** Waits until the app has exactly `n` containers (the drain and stop of old releases take a few seconds). */
/** Matches the container of a release's first web instance (`kli8nt-<deployment>-web-0-<random>`). */
export function webContainer(deploymentId: string): unknown {
  return expect.stringMatching(new RegExp(`^kli8nt-${deploymentId}-web-0-[0-9a-f]{6}$`));
}

export async function untilContainers(app: string, n: number, timeoutMs = 30_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let names = appContainers(app);
  while (names.length !== n && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    names = appContainers(app);
  }
  return names;
}

/**
 * Registers Kli8nt as an OAuth app on the fake GitHub, for a platform whose api is at `apiUrl`, and
 * returns the platform's variables that point at it.
 */
export function gitHubAppEnv(
  gh: FakeGitHub,
  apiUrl: string,
  app: { clientId: string; clientSecret: string; webhookSecret: string },
): Record<string, string> {
  gh.addOAuthApp({
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    callbackUrl: `${apiUrl}/auth/github/callback`,
  });
  return {
    KLI8NT_PUBLIC_URL: apiUrl,
    KLI8NT_GITHUB_URL: gh.url,
    KLI8NT_GITHUB_API_URL: gh.apiUrl,
    KLI8NT_GITHUB_CLIENT_ID: app.clientId,
    KLI8NT_GITHUB_CLIENT_SECRET: app.clientSecret,
    KLI8NT_GITHUB_WEBHOOK_SECRET: app.webhookSecret,
  };
}

/**
 * Stops and removes what a suite started, whichever of it exists (a beforeAll that failed half-way leaves
 * some unset): the platform, whose log goes to KLI8NT_E2E_OUTPUT when that is set, the app's containers
 * (`app` undefined: podman was not there), the fake GitHub and the data dir.
 */
export async function tearDownPlatform(started: {
  readonly platform: PlatformProcess | undefined;
  readonly app: string | undefined;
  readonly github: { stop(): Promise<void> } | undefined;
  readonly dataDir: string | undefined;
  /** Output of earlier runs of the platform in the same suite (the restart suite kills it twice). */
  readonly earlierOutput?: string;
}): Promise<void> {
  await started.platform?.stop();
  const file = process.env.KLI8NT_E2E_OUTPUT;
  if (file) writeFileSync(file, (started.earlierOutput ?? "") + (started.platform?.output() ?? ""));
  for (const name of started.app ? appContainers(started.app) : [])
    execFileSync("podman", ["rm", "-f", "-t", "0", name]);
  await started.github?.stop();
  if (started.dataDir) rmSync(started.dataDir, { recursive: true, force: true });
}
