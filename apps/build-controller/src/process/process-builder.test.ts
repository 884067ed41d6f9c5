import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { detect } from "@kli8nt/buildplan";
import { afterEach, describe, expect, it } from "vitest";
import { processBuilder } from "./process-builder.ts";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

// Real npm registry (the host's configuration): the process builder must bring pnpm itself on a machine with
// Node alone ("yarn: not found" / "pnpm: not found" before issue 26).
describe("process builder: package managers the host does not have", { timeout: 180_000 }, () => {
  it("installs pnpm into the build's scratch prefix and runs the build with it", async () => {
    const work = await mkdtemp(join(tmpdir(), "kli8nt-process-pm-"));
    dirs.push(work);
    const ctx = join(work, "ctx");
    await mkdir(ctx);
    await writeFile(
      join(ctx, "package.json"),
      JSON.stringify({
        name: "pm",
        packageManager: "pnpm@9.15.0",
        scripts: {
          build: "node -e \"require('fs').writeFileSync('built.txt', 'ok')\"",
          start: "node index.js",
        },
      }),
    );
    await writeFile(join(ctx, "index.js"), "");
    const plan = await detect(ctx);
    const lines: string[] = [];
    const out = await processBuilder({ releasesDir: join(work, "releases") }).build({
      deploymentId: "dep_pm",
      appId: "app",
      appName: "pm",
      contextDir: ctx,
      dockerfile: "",
      plan,
      scratchDir: join(work, "scratch"),
      timeoutMs: 170_000,
      onLine: (_s, l) => lines.push(l),
    });
    expect(out.image).toMatch(/^process:/);
    expect(await readFile(join(work, "releases", "dep_pm", "built.txt"), "utf8")).toBe("ok");
    expect(lines.join("\n")).toContain("$ pnpm install");
  });
});
