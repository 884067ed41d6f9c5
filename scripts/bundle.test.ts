import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually, freePort } from "@kli8nt/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundle, DEPLOYABLES } from "./bundle.ts";

// The chart runs these files with plain node (ADR 0115): each must load all of its modules and reach
// its config validation, and the api must find its migrations from dist/.
const files = new Map<string, string>();
const children: ChildProcess[] = [];

beforeAll(async () => {
  for (const file of await bundle()) files.set(file.replace(/^dist\/|\.mjs$/g, ""), file);
}, 120_000);

afterAll(() => {
  for (const child of children) child.kill("SIGKILL");
});

function run(file: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [file], { env: { PATH: process.env.PATH ?? "", ...env } });
  children.push(child);
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, output })));
}

describe("bundled deployables", () => {
  it("bundles every deployable whose entry exists", () => {
    expect(files.size).toBeGreaterThanOrEqual(4);
    for (const name of files.keys()) expect(Object.keys(DEPLOYABLES)).toContain(name);
  });

  it("each loads every module and stops at its configuration, naming a variable", async () => {
    for (const [name, file] of files) {
      if (name === "build-prepare") continue; // reads its spec from a file, below
      const { code, output } = await run(file, { KLI8NT_LOG_LEVEL: "chatty" });
      expect(code, `${name}: ${output}`).not.toBe(0);
      expect(output, name).toMatch(/KLI8NT_[A-Z_]+/);
      expect(output, name).not.toMatch(/Cannot find (module|package)|Dynamic require|ERR_MODULE/);
    }
  }, 60_000);

  it("the bundled api opens its database (migrations found from dist/) and answers /readyz", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "kli8nt-bundle-"));
    const port = await freePort();
    const file = files.get("api");
    if (!file) throw new Error("dist/api.mjs was not bundled");
    void run(file, { KLI8NT_DATA_DIR: dataDir, KLI8NT_PORT: String(port) });
    try {
      const status = await eventually(
        "the bundled api to be ready",
        async () => {
          const response = await fetch(`http://127.0.0.1:${port}/readyz`);
          return response.status === 200 ? response.status : undefined;
        },
        60_000,
      );
      expect(status).toBe(200);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
