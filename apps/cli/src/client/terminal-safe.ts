/**
 * What the CLI prints comes largely from tenants: build and run log lines, deployment reasons, commit
 * messages, receivers' answers. A terminal obeys control sequences in that text: OSC 0/2 retitle the
 * window, OSC 52 writes the clipboard, CSI sequences clear the screen or move the cursor to forge
 * output, and some terminals take C1 bytes (U+009B is CSI) as the same commands. So every control
 * character is made visible instead (ESC as `^[`, as `cat -v` does; C1, DEL and bidirectional overrides
 * as `\u009b`), which turns any sequence inert. Only SGR colour sequences (`ESC [ … m`) pass, and only to
 * a terminal that shows colour, because they change nothing but the colour of the text (elsewhere they
 * are dropped, so a file or a pipe gets plain text).
 *
 * `\n` and `\t` pass. JSON output stays valid JSON with the same values: JSON.stringify already escapes
 * C0 characters, and the others only occur inside strings, where `\uXXXX` is the same character.
 */
const ESC = 0x1b;
// What follows ESC in an SGR sequence; matched from a position, so no control character is in a regex.
const SGR_TAIL = /\[[0-9;:]*m/y;

/** Whether a terminal would act on this UTF-16 code unit. */
export function isControl(code: number): boolean {
  if (code === 0x0a || code === 0x09) return false;
  if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
  return (
    code === 0x200e ||
    code === 0x200f ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

function visible(code: number): string {
  return code < 0x20 ? `^${String.fromCharCode(code + 0x40)}` : `\\u${code.toString(16).padStart(4, "0")}`;
}

export function terminalSafe(text: string, colour: boolean): string {
  let out = "";
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (!isControl(code)) continue;
    out += text.slice(from, i);
    SGR_TAIL.lastIndex = i + 1;
    const sgr = code === ESC ? SGR_TAIL.exec(text) : null;
    if (sgr) {
      if (colour) out += text.slice(i, SGR_TAIL.lastIndex);
      i = SGR_TAIL.lastIndex - 1;
    } else {
      out += visible(code);
    }
    from = i + 1;
  }
  return from === 0 ? text : out + text.slice(from);
}

interface Stream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
}

/** A stream whose writes pass through terminalSafe; colour only for a terminal, and not with NO_COLOR. */
export function terminalSafeStream(stream: Stream, noColour: boolean): { write(chunk: string): unknown } {
  const colour = stream.isTTY === true && !noColour;
  return { write: (chunk: string) => stream.write(terminalSafe(chunk, colour)) };
}
