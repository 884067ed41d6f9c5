import { planCommand } from "./commands/plan.ts";
import { startCommand } from "./commands/start.ts";

const HELP = `kli8nt — push a repository, get a URL

usage:
  kli8nt start                 run the platform on this machine (embedded defaults)
  kli8nt plan <dir> [--json] [--dockerfile]
                               show how a repository would be built
  kli8nt help                  this text
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const io = { stdout: process.stdout, stderr: process.stderr };
  switch (command) {
    case "start":
      return startCommand(rest, io);
    case "plan":
      return planCommand(rest, io);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      io.stdout.write(HELP);
      return 0;
    default:
      io.stderr.write(`unknown command "${command}"\n\n${HELP}`);
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`kli8nt: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
