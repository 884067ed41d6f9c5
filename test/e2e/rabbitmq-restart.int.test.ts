import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type FakeGitHub, failUnderCi, samplePath, startFakeGitHub } from "@kli8nt/testkit";
import { type ConfirmChannel, connect } from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  appContainers,
  type Deployment,
  platformApi,
  platformEnv,
  tearDownPlatform,
} from "./platform-api.ts";
import { freePort, type PlatformProcess, startPlatform, viaRouter } from "./platform-process.ts";

// `kli8nt start` on the RabbitMQ bus (KLI8NT_RABBITMQ_URL): the broker is restarted while a deployment is
// building and again while it is deploying; the deployment still ends live with one build and one container,
// and nothing is left in or dead-lettered from the queues. The bus-level restart is in packages/bus; this is
// the platform's handlers and outbox relay across it.
const env = process.env;
const amqpUrl = env.KLI8NT_TEST_AMQP_URL;
const rabbitmqctl = env.KLI8NT_TEST_RABBITMQCTL;
const ready =
  env.KLI8NT_TEST_CONTAINERS === "1" &&
  env.KLI8NT_TEST_BASE_IMAGES !== undefined &&
  !!amqpUrl &&
  !!rabbitmqctl;
failUnderCi(
  !ready,
  "needs start_containers and start_rabbitmq (scripts/infra/containers.sh, scripts/infra/rabbitmq.sh)",
);

const APP = `rmq${Date.now().toString(36)}`;
// `kli8nt start` declares its queues with the bus's default prefix.
const QUEUES = ["kli8nt.BUILD", "kli8nt.DEPLOY", "kli8nt.INFORM"];
let github: FakeGitHub;
let platform: PlatformProcess;
let dataDir: string;
const api = platformApi(() => platform.api);

/** Same as packages/bus's rabbitmq.int.test.ts: stop and start the broker's app, durable queues survive. */
async function restartBroker(): Promise<void> {
  const ctl = (...args: string[]) => promisify(execFile)(rabbitmqctl as string, ["-q", ...args]);
  await ctl("stop_app");
  await ctl("start_app");
  await ctl("await_startup");
}

/** A fresh connection per use: the restarts close every connection to the broker. */
async function withChannel<T>(fn: (ch: ConfirmChannel) => Promise<T>): Promise<T> {
  const conn = await connect(amqpUrl as string);
  try {
    return await fn(await conn.createConfirmChannel());
  } finally {
    await conn.close();
  }
}

const ALL_QUEUES = [...QUEUES, ...QUEUES.map((q) => `${q}.dlq`)];

function queueDepths(): Promise<Record<string, number>> {
  return withChannel(async (ch) => {
    const depths: Record<string, number> = {};
    for (const q of ALL_QUEUES) depths[q] = (await ch.checkQueue(q)).messageCount;
    return depths;
  });
}

/** The platform's log lines (pino JSON) with this message about this deployment. */
function logged(msg: string, deploymentId: string): string[] {
  return platform
    .output()
    .split("\n")
    .filter((l) => l.includes(`"msg":"${msg}"`) && l.includes(deploymentId));
}

/** The sample with a build step and a start that both take long enough to restart the broker inside them. */
function slowSample(): Record<string, string> {
  const pkg = JSON.parse(readFileSync(join(samplePath("node-hello"), "package.json"), "utf8"));
  pkg.scripts.build = "sleep 15";
  // buildah's layer cache is the machine's, not the app's: a package.json of this run only makes sure the
  // slow build step runs again instead of coming from the cache of an earlier run.
  pkg.description = `broker restart test ${APP}`;
  const server = readFileSync(join(samplePath("node-hello"), "server.js"), "utf8").replace(
    'server.listen(port, "0.0.0.0", () => {',
    'setTimeout(() => server.listen(port, "0.0.0.0", () => {',
  );
  return {
    "package.json": JSON.stringify(pkg, null, 2),
    "server.js": server.replace("\n});\n\nprocess.on", "\n}), 12_000);\n\nprocess.on"),
  };
}

describe.skipIf(!ready)(
  "RabbitMQ broker restart mid-deploy (kli8nt start on RabbitMQ)",
  { timeout: 600_000 },
  () => {
    beforeAll(async () => {
      github = await startFakeGitHub();
      github.addUser({ login: "alice" });
      dataDir = mkdtempSync(join(tmpdir(), "kli8nt-e2e-rmq-"));
      const ports = { api: await freePort(), router: await freePort() };
      platform = await startPlatform(
        {
          ...platformEnv(dataDir, ports.router, env),
          KLI8NT_RABBITMQ_URL: amqpUrl as string,
          KLI8NT_LOG_LEVEL: "info",
          KLI8NT_HEALTH_TIMEOUT_SECONDS: "90",
        },
        ports,
      );
    }, 120_000);

    afterAll(() => tearDownPlatform({ platform, app: ready ? APP : undefined, github, dataDir }));

    it("ends live with one build and one container after restarts mid-build and mid-deploy", async () => {
      expect(platform.output()).toContain("Connected to RabbitMQ");
      const repo = await github.addRepo({ owner: "alice", name: APP, files: slowSample() });
      expect(
        (await api.call("POST", "/apps", { name: APP, repository: { url: repo.cloneUrl, branch: "main" } }))
          .status,
      ).toBe(201);
      const { json: started } = await api.call<Deployment>("POST", `/apps/${APP}/deployments`, {});

      await api.waitFor(started.id, (s) => s === "building");
      await restartBroker();
      // The restart happened inside the build: the build had not finished when the broker was back.
      expect(logged("Built image", started.id)).toEqual([]);
      await api.waitFor(started.id, (s) => s === "deploying" || s === "live" || s === "failed");
      await restartBroker();
      expect(logged("Release is live", started.id)).toEqual([]);

      const done = await api.waitFor(started.id);
      expect(done, done.reason ?? "").toMatchObject({ state: "live" });
      expect((await viaRouter(platform.routerPort, APP)).body).toBe("hello from node-hello v1\n");
      // Reconnected after each restart (the initial connection, then one per restart at least).
      expect(platform.output().split('"msg":"Connected to RabbitMQ"').length - 1).toBeGreaterThanOrEqual(3);

      // Done once: one build (its log says Cloning once), one container for the release, no second start.
      expect(logged("Started build", started.id)).toHaveLength(1);
      const logs = await api.call<{ records: Array<{ line: string; phase: string; deploymentId: string }> }>(
        "GET",
        `/apps/${APP}/logs?phase=build&limit=10000`,
      );
      expect(logs.json.records.filter((r) => r.line.startsWith("Cloning "))).toHaveLength(1);
      const containers = appContainers(APP);
      expect(containers).toHaveLength(1);
      expect(containers[0]).toMatch(new RegExp(`^kli8nt-${started.id}-web-0-[0-9a-f]+$`));
      expect(logged("Release is live", started.id)).toHaveLength(1);

      // Lost nothing: every queue drained, nothing dead-lettered.
      await new Promise((r) => setTimeout(r, 1000)); // the last INFORM acks
      expect(await queueDepths()).toEqual(Object.fromEntries(ALL_QUEUES.map((q) => [q, 0])));
    });

    it("dead-letters a malformed BUILD message with the reason, and builds nothing for it", async () => {
      // Not JSON / schema failures are covered per adapter in packages/bus; this is the platform's own consumer
      // (its BuildRequested schema, its queue and dead-letter queue) on the broker after the restarts.
      const body = { type: "BuildRequested", version: 1, deploymentId: "no-such-deployment", appName: APP };
      const dead = await withChannel(async (ch) => {
        ch.sendToQueue("kli8nt.BUILD", Buffer.from(JSON.stringify(body)), {
          messageId: "malformed-1",
          type: "BuildRequested.v1",
          persistent: true,
        });
        await ch.waitForConfirms();
        for (let i = 0; i < 100; i++) {
          const m = await ch.get("kli8nt.BUILD.dlq", { noAck: true });
          if (m) return m;
          await new Promise((r) => setTimeout(r, 100));
        }
        return false as const;
      });
      expect(dead, "nothing reached kli8nt.BUILD.dlq").not.toBe(false);
      if (!dead) return;
      expect(dead.properties.messageId).toBe("malformed-1");
      expect(String(dead.properties.headers?.["x-kli8nt-reason"])).toMatch(
        /^body failed validation: .*appId/,
      );
      expect(JSON.parse(dead.content.toString())).toEqual(body);
      expect(logged("Started build", "no-such-deployment")).toEqual([]);
    });
  },
);
