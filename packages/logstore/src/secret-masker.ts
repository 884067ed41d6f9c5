/** What a masked secret value is replaced with. */
export const SECRET_MASK = "****";

/** Values shorter than this are not masked: they would turn ordinary words and numbers into "****". */
export const MIN_SECRET_LENGTH = 4;

/**
 * Returns a pure function that replaces every occurrence of every secret value in a line by `****`.
 * Occurrences that overlap or touch (including those of different secrets) are masked as one span, so
 * no fragment of any secret survives, whatever the order of the values.
 */
export function createSecretMasker(secrets: Iterable<string>): (line: string) => string {
  const values = [...new Set(secrets)]
    .filter((s) => s.length >= MIN_SECRET_LENGTH)
    .sort((a, b) => b.length - a.length);
  if (values.length === 0) return (line) => line;
  return (line) => {
    const spans = findSpans(line, values);
    return spans.length === 0 ? line : replaceSpans(line, spans);
  };
}

type Span = [start: number, end: number];

function findSpans(line: string, values: readonly string[]): Span[] {
  const spans: Span[] = [];
  for (const value of values) {
    // Step by one, not by value.length: a value can overlap itself ("aaaa" in "aaaaa").
    for (let i = line.indexOf(value); i !== -1; i = line.indexOf(value, i + 1)) {
      spans.push([i, i + value.length]);
    }
  }
  return spans;
}

function replaceSpans(line: string, spans: Span[]): string {
  spans.sort((a, b) => a[0] - b[0]);
  let out = "";
  let cursor = 0;
  let [start, end] = spans[0] as Span;
  for (const [s, e] of spans) {
    if (s <= end) {
      end = Math.max(end, e);
      continue;
    }
    out += line.slice(cursor, start) + SECRET_MASK;
    cursor = end;
    [start, end] = [s, e];
  }
  return out + line.slice(cursor, start) + SECRET_MASK + line.slice(end);
}
