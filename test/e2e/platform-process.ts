import { type ChildProcess, spawn } from "node:child_process";
import { request } from "node:http";

// Suites import freePort from here with the platform helpers.
export { freePort } from "@kli8nt/testkit";

export interface PlatformProcess {
  readonly api: string;
  readonly routerPort: number;
  readonly output: () => string;
  /** SIGTERM (or `signal`) and wait for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Runs `kli8nt start` as a child process (the real entry point) and waits for its banner. */
export async function startPlatform(
  env: Record<string, string>,
  ports: { api: number; router: number },
): Promise<PlatformProcess> {
  const child: ChildProcess = spawn(process.execPath, ["apps/cli/bin/kli8nt.js", "start"], {
    env: {
      ...process.env,
      // Suites run platforms side by side: the custom domains' HTTPS port is a free one unless given.
      KLI8NT_ROUTER_TLS_PORT: "0",
      ...env,
      KLI8NT_PORT: String(ports.api),
      KLI8NT_ROUTER_PORT: String(ports.router),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (b: Buffer) => {
    output += b.toString();
  });
  child.stderr?.on("data", (b: Buffer) => {
    output += b.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`platform did not start:\n${output.slice(-3000)}`)),
      60_000,
    );
    const check = () => {
      if (output.includes("Kli8nt is running")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", check);
    child.once("exit", () => reject(new Error(`platform exited:\n${output.slice(-3000)}`)));
  });
  return {
    api: `http://127.0.0.1:${ports.api}`,
    routerPort: ports.router,
    output: () => output,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** GET through the router with `Host: <app>.localhost` (no DNS needed). */
export function viaRouter(
  routerPort: number,
  app: string,
  path = "/",
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port: routerPort, path, headers: { host: `${app}.localhost:${routerPort}` } },
      (res) => {
        let body = "";
        res.on("data", (c: Buffer) => {
          body += c.toString();
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.once("error", reject);
    req.setTimeout(5000, () => req.destroy(new Error("timeout")));
    req.end();
  });
}
