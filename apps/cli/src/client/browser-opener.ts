import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import path from "node:path";

/** The platform's way to open a URL in the user's browser, or null where there is none (a server, CI). */
export function browserOpener(
  platform: NodeJS.Platform,
  searchPath: string | undefined,
): { command: string; args: string[] } | null {
  if (platform === "darwin") return { command: "open", args: [] };
  if (platform === "win32") return { command: "cmd", args: ["/c", "start", ""] };
  for (const name of ["xdg-open", "sensible-browser"]) {
    const found = onPath(name, searchPath);
    if (found) return { command: found, args: [] };
  }
  return null;
}

function onPath(name: string, searchPath: string | undefined): string | null {
  for (const dir of (searchPath ?? "").split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory: look in the next
    }
  }
  return null;
}

/** Best effort: starts the opener detached and says whether there was one; callers print the URL anyway. */
export function openInBrowser(url: string, searchPath: string | undefined): boolean {
  const opener = browserOpener(process.platform, searchPath);
  if (!opener) return false;
  try {
    const child = spawn(opener.command, [...opener.args, url], { stdio: "ignore", detached: true });
    child.on("error", () => undefined);
    child.unref();
    return true;
  } catch {
    return false;
  }
}
