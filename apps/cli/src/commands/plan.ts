import { type BuildPlan, detect, isBuildPlanError, render } from "@kli8nt/buildplan";

export interface CommandIo {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
}

export interface PlanCommandOptions {
  /** Base-image map for `--dockerfile` (from the CLI's config); defaults to the official images. */
  baseImages?: Readonly<Record<string, string>>;
}

/** Exit codes: 0 planned, 1 usage or unreadable directory, 2 nothing detectable. */
export const PLAN_EXIT = { ok: 0, error: 1, undetected: 2 } as const;

const USAGE = "usage: kli8nt plan <dir> [--json] [--dockerfile]\n";

interface PlanArgs {
  dir: string;
  json: boolean;
  dockerfile: boolean;
}

function parseArgs(argv: string[]): PlanArgs | string {
  const flags = new Set(argv.filter((a) => a.startsWith("-")));
  const positional = argv.filter((a) => !a.startsWith("-"));
  const unknown = [...flags].filter((f) => f !== "--json" && f !== "--dockerfile");
  if (unknown.length > 0) return `unknown option ${unknown.join(", ")}`;
  if (positional.length !== 1 || positional[0] === undefined) return "expected exactly one directory";
  return { dir: positional[0], json: flags.has("--json"), dockerfile: flags.has("--dockerfile") };
}

/** Debian packages the native dependencies need (build → runtime), or null when none. */
function systemPackages(plan: BuildPlan): string | null {
  const { build, runtime } = plan.systemPackages;
  if (build.length + runtime.length === 0) return null;
  return `build ${build.join(" ") || "-"}; runtime ${runtime.join(" ") || "-"}`;
}

function describePlan(plan: BuildPlan): string {
  const versions = Object.entries(plan.runtimeVersions)
    .map(([k, v]) => `${k} ${v} (${plan.versionSource[k] ?? "?"})`)
    .join(", ");
  const rows: [string, string | null][] = [
    ["provider", plan.provider + (plan.framework ? ` (${plan.framework})` : "")],
    ["package manager", plan.packageManager],
    ["runtime", versions || null],
    ["install", plan.install.join(" && ") || null],
    ["build", plan.build.join(" && ") || null],
    ["start", plan.start],
    ["static dir", plan.staticOutputDir],
    ["port", plan.port === null ? null : String(plan.port)],
    ["release", plan.releaseCommand],
    ["system pkgs", systemPackages(plan)],
    [
      "runtime files",
      plan.keepRepoFiles ? "the repository's files, beside the binary (read at run time)" : null,
    ],
    ...Object.entries(plan.processes).map(([name, cmd]): [string, string] => [`process ${name}`, cmd]),
  ];
  const lines = rows.filter(([, v]) => v !== null).map(([k, v]) => `${k.padEnd(16)}${v}`);
  lines.push(...(plan.rules ?? []).map((r) => `${"rule".padEnd(16)}${r}`));
  return `${[...lines, ...plan.warnings.map((w) => `warning: ${w}`)].join("\n")}\n`;
}

function output(plan: BuildPlan, args: PlanArgs, options: PlanCommandOptions, io: CommandIo): void {
  const rendered = args.dockerfile && plan.provider !== "dockerfile" ? render(plan, options) : null;
  if (args.json) {
    const body = rendered
      ? { plan, dockerfile: rendered.dockerfile, dockerignore: rendered.dockerignore }
      : plan;
    io.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  } else if (rendered) {
    io.stdout.write(rendered.dockerfile);
  } else {
    io.stdout.write(describePlan(plan));
  }
  if (args.dockerfile && plan.provider === "dockerfile") {
    io.stderr.write("the repository has its own Dockerfile; it is used unchanged\n");
  }
}

/** `kli8nt plan <dir> [--json] [--dockerfile]`; `argv` are the arguments after `plan`. */
export async function planCommand(
  argv: string[],
  io: CommandIo,
  options: PlanCommandOptions = {},
): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === "string") {
    io.stderr.write(`kli8nt plan: ${args}\n${USAGE}`);
    return PLAN_EXIT.error;
  }
  try {
    output(await detect(args.dir), args, options, io);
    return PLAN_EXIT.ok;
  } catch (err) {
    if (!isBuildPlanError(err)) throw err;
    io.stderr.write(`kli8nt plan: ${err.message}\n`);
    if (err.code === "STACK_UNDETECTED") {
      const looked = (err.details.lookedFor as string[] | undefined) ?? [];
      io.stderr.write(`looked for:\n${looked.map((l) => `  - ${l}\n`).join("")}`);
      return PLAN_EXIT.undetected;
    }
    return PLAN_EXIT.error;
  }
}
