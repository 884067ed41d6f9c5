import { open, readdir, realpath, stat } from "node:fs/promises";
import { isAbsolute, join, relative, sep } from "node:path";
import { BuildPlanError } from "./errors.ts";

const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;

/**
 * Read-only, bounded view of a repository. Detection only ever reads named paths and lists a few folders,
 * so its cost does not grow with the size of the tree. Symlinks that resolve outside the root are treated
 * as absent; files that are too big or binary are treated as absent with a warning.
 */
export class RepoTree {
  readonly warnings: string[] = [];
  private readonly cache = new Map<string, string | null>();

  private constructor(
    readonly root: string,
    private readonly maxFileBytes: number,
  ) {}

  static async open(dir: string, maxFileBytes = DEFAULT_MAX_FILE_BYTES): Promise<RepoTree> {
    try {
      const root = await realpath(dir);
      if (!(await stat(root)).isDirectory()) throw new Error("not a directory");
      return new RepoTree(root, maxFileBytes);
    } catch (err) {
      throw new BuildPlanError("REPO_UNREADABLE", `cannot read repository directory ${dir}`, { dir }, err);
    }
  }

  /**
   * Absolute real path of `rel` if it exists and stays inside the tree, else null. Every component is
   * resolved (realpath), not only the last: `sub/file` with `sub` a symlink to a host folder is outside too.
   */
  private async resolve(rel: string): Promise<string | null> {
    let real: string;
    try {
      real = await realpath(join(this.root, rel));
    } catch {
      return null;
    }
    const back = relative(this.root, real);
    if (back.startsWith(`..${sep}`) || back === ".." || isAbsolute(back)) {
      this.warnings.push(`ignored ${rel}: symlink points outside the repository`);
      return null;
    }
    return real;
  }

  async isFile(rel: string): Promise<boolean> {
    const abs = await this.resolve(rel);
    if (abs === null) return false;
    return (await stat(abs).catch(() => null))?.isFile() ?? false;
  }

  async isDir(rel: string): Promise<boolean> {
    const abs = await this.resolve(rel);
    if (abs === null) return false;
    return (await stat(abs).catch(() => null))?.isDirectory() ?? false;
  }

  /** Sorted entry names of a folder (not recursive); [] when absent. */
  async list(rel = "."): Promise<string[]> {
    const abs = await this.resolve(rel);
    if (abs === null) return [];
    const names = await readdir(abs).catch(() => [] as string[]);
    return names.sort();
  }

  /** Text of a file, or null when absent, too large, binary or unreadable. */
  async read(rel: string): Promise<string | null> {
    if (this.cache.has(rel)) return this.cache.get(rel) ?? null;
    const text = await this.readUncached(rel);
    this.cache.set(rel, text);
    return text;
  }

  private async readUncached(rel: string): Promise<string | null> {
    const abs = await this.resolve(rel);
    if (abs === null) return null;
    let handle: Awaited<ReturnType<typeof open>> | undefined;
    try {
      handle = await open(abs, "r");
      const st = await handle.stat();
      if (!st.isFile()) return null;
      if (st.size > this.maxFileBytes) {
        this.warnings.push(`ignored ${rel}: ${st.size} bytes is over the ${this.maxFileBytes}-byte limit`);
        return null;
      }
      const buf = Buffer.alloc(st.size);
      const { bytesRead } = await handle.read(buf, 0, st.size, 0);
      const bytes = buf.subarray(0, bytesRead);
      if (bytes.includes(0)) {
        this.warnings.push(`ignored ${rel}: binary content`);
        return null;
      }
      return bytes.toString("utf8");
    } catch {
      return null;
    } finally {
      await handle?.close();
    }
  }

  /** Parsed JSON object, or null; an invalid file adds a warning instead of throwing. */
  async readJson(rel: string): Promise<Record<string, unknown> | null> {
    const text = await this.read(rel);
    if (text === null) return null;
    try {
      const value: unknown = JSON.parse(stripJsonComments(text));
      if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        return value as Record<string, unknown>;
      }
      this.warnings.push(`ignored ${rel}: not a JSON object`);
    } catch {
      this.warnings.push(`ignored ${rel}: invalid JSON`);
    }
    return null;
  }
}

/** Removes // and /* *\/ comments outside strings (deno.jsonc, tsconfig-style files). */
function stripJsonComments(text: string): string {
  if (!text.includes("//") && !text.includes("/*")) return text;
  return text.replace(
    /("(?:\\.|[^"\\])*")|\/\/[^\n]*|\/\*[\s\S]*?\*\//g,
    (_m, str: string | undefined) => str ?? "",
  );
}
