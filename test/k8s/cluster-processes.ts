// Test helper of the cluster-mode suite: each deployable runs as its own child process from the bundle
// of its composition root (`node dist/<name>.mjs`, ADR 0115), as its Deployment would, configured by
// environment. Importing this module bundles them, so the suite runs what the image ships.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import pg from "pg";
import { bundle } from "../../scripts/bundle.ts";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");

export const ENTRY_POINTS = {
  api: "apps/api/src/main.ts",
  "build-controller": "apps/build-controller/src/kaniko-job/main.ts",
  "deploy-controller": "apps/deploy-controller/src/kubernetes/main.ts",
  "log-controller": "apps/log-controller/src/main.ts",
} as const;

export type Component = keyof typeof ENTRY_POINTS;

await bundle(Object.keys(ENTRY_POINTS));

/** One running deployable: its pino lines (parsed), and how to stop or kill it. */
export class Deployable {
  readonly lines: Array<Record<string, unknown>> = [];
  #stderr = "";
  readonly exited: Promise<number | null>;

  constructor(
    readonly name: Component,
    readonly child: ChildProcess,
  ) {
    let pending = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      pending += chunk.toString();
      const parts = pending.split("\n");
      pending = parts.pop() ?? "";
      for (const part of parts) {
        try {
          this.lines.push(JSON.parse(part) as Record<string, unknown>);
        } catch {
          this.lines.push({ msg: part });
        }
      }
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString()).slice(-4000);
    });
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  }

  /** The first log line with this message (waits for it); fails fast if the process dies. */
  async logged(msg: string, timeoutMs = 60_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.lines.find((l) => l.msg === msg);
      if (line) return line;
      if (this.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(
          `${this.name} did not log "${msg}" (exit ${this.child.exitCode}): ${this.#stderr}\n${this.tail()}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The last lines, for a failure message. */
  tail(n = 15): string {
    return this.lines
      .slice(-n)
      .map((l) => JSON.stringify(l))
      .join("\n");
  }

  /** SIGTERM and wait: the graceful stop a Deployment's rollout or scale-down gives. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill("SIGTERM");
    return this.exited;
  }

  /** What `kill -9` (an OOM kill, a node loss) leaves: no shutdown code runs. */
  async kill9(): Promise<void> {
    this.child.kill("SIGKILL");
    await this.exited;
  }
}

/** Starts one deployable with exactly this environment (plus PATH and HOME) and no inherited KLI8NT_*. */
export function startDeployable(name: Component, env: Record<string, string>): Deployable {
  const child = spawn(process.execPath, [join(ROOT, "dist", `${name}.mjs`)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Deployable(name, child);
}

/** A new, empty database on the test PostgreSQL server; `drop()` removes it. */
export async function createDatabase(serverUrl: string, name: string) {
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    await client.query(sql).finally(() => client.end());
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** A RabbitMQ virtual host of this suite only: queue names are fixed, so suites must not share one. */
export async function createVhost(amqpUrl: string, rabbitmqctl: string, vhost: string) {
  const ctl = (...args: string[]) => promisify(execFile)(rabbitmqctl, ["-q", ...args]);
  await ctl("add_vhost", vhost);
  const user = decodeURIComponent(new URL(amqpUrl).username || "guest");
  await ctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*");
  return {
    url: `${amqpUrl.replace(/\/+$/, "")}/${encodeURIComponent(vhost)}`,
    drop: () => ctl("delete_vhost", vhost).then(() => undefined),
  };
}
