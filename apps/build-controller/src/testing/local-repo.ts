import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** A git repository in a temp dir with one commit of `files` on `main`; returns its path and head. */
export function createLocalRepo(files: Record<string, string>): {
  dir: string;
  commit: (files: Record<string, string>) => string;
  head: string;
} {
  const dir = mkdtempSync(join(tmpdir(), "kli8nt-repo-"));
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
      cwd: dir,
      encoding: "utf8",
    }).trim();
  git("init", "--quiet", "--initial-branch=main");
  const commit = (changes: Record<string, string>): string => {
    for (const [path, content] of Object.entries(changes)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    git("add", "-A");
    git("commit", "--quiet", "-m", "change");
    return git("rev-parse", "HEAD");
  };
  const head = commit(files);
  return { dir, commit, head };
}

/** A Node app with no dependencies that answers `hello <version>` on $PORT. */
export function nodeAppFiles(version: string, options: { crash?: boolean } = {}): Record<string, string> {
  const server = options.crash
    ? 'console.error("boom: missing DATABASE_URL"); process.exit(1);\n'
    : [
        'import { createServer } from "node:http";',
        `createServer((req, res) => res.end("hello ${version} " + (process.env.GREETING ?? "") + "\\n")).listen(Number(process.env.PORT ?? 3000), "0.0.0.0");`,
        'process.on("SIGTERM", () => process.exit(0));',
        "",
      ].join("\n");
  return {
    "package.json": JSON.stringify({
      name: "app",
      version: "1.0.0",
      private: true,
      type: "module",
      scripts: { start: "node server.js" },
      engines: { node: "20" },
    }),
    "package-lock.json": JSON.stringify({
      name: "app",
      version: "1.0.0",
      lockfileVersion: 3,
      requires: true,
      packages: { "": { name: "app", version: "1.0.0" } },
    }),
    "server.js": server,
  };
}
