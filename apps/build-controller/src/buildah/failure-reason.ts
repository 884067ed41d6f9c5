// What a user reads when a build fails: the line the failing step itself printed (the compiler's or the
// package manager's error), with the step for context; buildah's own summary line when there is none.

const BUILDAH_ERROR = /^(?:error|Error:) building at STEP "(.+)": (.+)$/;
// Lines buildah writes around a step's own output, never the cause.
const BUILDAH_LINE =
  /^(?:\[\d+\/\d+\] )?STEP \d+\/\d+:|^--> |^COMMIT|^subprocess exited with status|^(?:error|Error:) building at STEP/;
const LIKELY_CAUSE = /error|err!|not found|cannot|failed|fatal|denied|no such/i;
const MAX = 1000;

/** The reason of a failed `buildah bud`, from the last lines of its output. */
export function failureReason(tail: readonly string[]): string {
  const lines = tail.map((l) => l.trim());
  const error = lines.findLast((l) => /^(error|Error:)/.test(l));
  const step = error ? BUILDAH_ERROR.exec(error) : null;
  const cause = step ? stepOutputCause(lines, step[1] ?? "") : undefined;
  if (step && cause) return clip(`The build failed: ${cause} (at STEP "${step[1]}", ${step[2]})`);
  return clip(`The build failed: ${error ?? lines.at(-1) ?? "the builder exited without output"}`);
}

/** The most telling line the step printed between its STEP line and buildah's next line. */
function stepOutputCause(lines: readonly string[], instruction: string): string | undefined {
  const start = lines.findLastIndex((l) => /STEP \d+\/\d+: /.test(l) && l.endsWith(`: ${instruction}`));
  if (start < 0) return undefined;
  const output: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (BUILDAH_LINE.test(line)) break;
    if (line !== "") output.push(line);
  }
  return output.findLast((l) => LIKELY_CAUSE.test(l)) ?? output.at(-1);
}

const clip = (text: string) => (text.length > MAX ? `${text.slice(0, MAX - 1)}…` : text);
