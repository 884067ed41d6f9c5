import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { detect } from "./detect.ts";
import { BuildPlanError, LOOKED_FOR } from "./errors.ts";
import { makeRepo, removeRepo } from "./test-repo.ts";

const made: string[] = [];
async function repo(files: Record<string, string | Buffer>) {
  const dir = await makeRepo(files);
  made.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(made.splice(0).map(removeRepo));
});

async function codeOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(BuildPlanError);
    return err;
  }
  throw new Error("expected a BuildPlanError");
}

describe("bad input", () => {
  it("an empty repo is STACK_UNDETECTED listing what was looked for", async () => {
    const err = (await codeOf(detect(await repo({})))) as BuildPlanError;
    expect(err.code).toBe("STACK_UNDETECTED");
    expect(err.details.lookedFor).toEqual([...LOOKED_FOR]);
    expect(err.message).toContain("package.json");
  });

  it("a missing directory or a file path is REPO_UNREADABLE with a cause", async () => {
    const err = (await codeOf(detect("/nonexistent/kli8nt"))) as BuildPlanError;
    expect(err.code).toBe("REPO_UNREADABLE");
    expect(err.cause).toBeDefined();
    const dir = await repo({ "a.txt": "x" });
    expect(((await codeOf(detect(join(dir, "a.txt")))) as BuildPlanError).code).toBe("REPO_UNREADABLE");
  });

  it("invalid package.json alone is undetected, with the parse problem in the details", async () => {
    const err = (await codeOf(detect(await repo({ "package.json": "{ not json" })))) as BuildPlanError;
    expect(err.code).toBe("STACK_UNDETECTED");
    expect(err.details.warnings).toContain("ignored package.json: invalid JSON");
  });

  it("invalid TOML and binary garbage give warnings, not crashes", async () => {
    const p = await detect(await repo({ "pyproject.toml": "[[[ nope", "main.py": "" }));
    expect(p.provider).toBe("python");
    expect(p.warnings).toContain("ignored pyproject.toml: invalid TOML");
    const bin = await detect(
      await repo({ "package.json": Buffer.from([0x7b, 0, 0xff, 0xfe]), "index.html": "" }),
    );
    expect(bin.provider).toBe("static");
    expect(bin.warnings).toContain("ignored package.json: binary content");
  });

  it("a huge manifest is skipped with a warning instead of read into memory", async () => {
    const big = `{"name":"x","pad":"${"a".repeat(2 * 1024 * 1024)}"}`;
    const p = await detect(await repo({ "package.json": big, "index.html": "" }));
    expect(p.provider).toBe("static");
    expect(p.warnings.join()).toMatch(/package.json: \d+ bytes is over/);
  });

  it("symlinks that leave the tree are ignored; symlinks inside it are followed", async () => {
    const outside = await repo({ "package.json": JSON.stringify({ scripts: { start: "node ." } }) });
    const dir = await repo({ "index.html": "" });
    await symlink(join(outside, "package.json"), join(dir, "package.json"));
    const p = await detect(dir);
    expect(p.provider).toBe("static");
    expect(p.warnings.join()).toMatch(/package.json: symlink points outside/);
    const inside = await repo({ "real/requirements.txt": "flask\n", "main.py": "" });
    await symlink(join(inside, "real/requirements.txt"), join(inside, "requirements.txt"));
    expect((await detect(inside)).framework).toBe("flask");
  });

  it("a symlink loop or a directory named like a manifest does not hang or crash", async () => {
    const dir = await repo({ "index.html": "" });
    await symlink(join(dir, "loop"), join(dir, "loop"));
    await mkdir(join(dir, "package.json"));
    expect((await detect(dir)).provider).toBe("static");
  });

  it("values that would break the Dockerfile (newlines, odd paths) are dropped with a warning", async () => {
    const kli8nt = {
      install: ["npm ci\nFROM evil"],
      start: "node a.js\nUSER root",
      staticOutputDir: "my dir",
    };
    const p = await detect(await repo({ "index.html": "", "kli8nt.json": JSON.stringify(kli8nt) }));
    expect(p.install).toEqual([]);
    expect(p.start).toBeNull();
    expect(p.staticOutputDir).toBe("dist");
    expect(p.warnings.join()).toMatch(/single line/);
    const viteOut = { devDependencies: { vite: "6" }, scripts: { build: "vite build --outDir=/etc" } };
    expect((await detect(await repo({ "package.json": JSON.stringify(viteOut) }))).staticOutputDir).toBe(
      "dist",
    );
  });

  it("detects a 10,000-file tree in under 100 ms", async () => {
    const dir = await repo({
      "package.json": JSON.stringify({ scripts: { start: "node ." } }),
      "package-lock.json": "{}",
    });
    for (let d = 0; d < 50; d++) {
      await mkdir(join(dir, "src", `m${d}`), { recursive: true });
      await Promise.all(
        Array.from({ length: 180 }, (_, f) => writeFile(join(dir, "src", `m${d}`, `f${f}.js`), "x")),
      );
    }
    await Promise.all(Array.from({ length: 1000 }, (_, f) => writeFile(join(dir, `root${f}.txt`), "x")));
    await detect(dir); // warm the module and the page cache, as a real run would be
    const t0 = performance.now();
    const p = await detect(dir);
    const ms = performance.now() - t0;
    expect(p.provider).toBe("node");
    expect(ms).toBeLessThan(100);
  });
});
