import { execFileSync } from "node:child_process";

/** Under CI (CI=true) a suite fails rather than skips for a server that is missing. */
export const IS_CI = process.env.CI === "true";

/**
 * For a suite that needs a server scripts/infra starts: under CI a missing one fails the run with `why`
 * (say what to start); elsewhere the suite skips itself (`describe.skipIf(missing)`). Returns `missing`.
 */
export function failUnderCi(missing: boolean, why: string): boolean {
  if (missing && IS_CI) throw new Error(why);
  return missing;
}

/** Whether a program of the machine runs (`<command> --version` exits 0): for suites that spawn it. */
export function hasCommand(command: string, args: readonly string[] = ["--version"]): boolean {
  try {
    execFileSync(command, [...args], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
