/**
 * The api's hostname rules (apps/api domains/hostname.ts), repeated so the form answers before a round
 * trip; the api stays the authority (unicode names, reserved hosts and wildcards are its to judge).
 */
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Null when `input` looks like a hostname the api would take, else what is wrong with it. */
export function hostnameProblem(input: string): string | null {
  const name = input.trim().replace(/\.$/, "");
  if (name === "") return "Enter a hostname, like www.example.com";
  if (name.includes("://") || /[/:?#@\s]/.test(name))
    return "Give the bare hostname, like www.example.com (no scheme, port, path or spaces)";
  const rest = name.startsWith("*.") ? name.slice(2) : name;
  if (rest.includes("*")) return "A wildcard is only allowed as the whole first label, like *.example.com";
  // Unicode names go to the api as typed: it converts them to punycode.
  if (!/^[\x21-\x7e]*$/.test(rest)) return null;
  if (name.length > 253) return "A hostname has at most 253 characters";
  const labels = rest.toLowerCase().split(".");
  if (labels.length < 2) return "A hostname needs at least two labels, like example.com";
  const bad = labels.find((l) => !LABEL.test(l));
  if (bad === "") return "The hostname has an empty label (two dots in a row)";
  if (bad !== undefined)
    return `The label "${bad.slice(0, 70)}" must be 1–63 letters, digits or hyphens, not starting or ending with a hyphen`;
  if (/^\d+$/.test(labels.at(-1) ?? "")) return "The last label cannot be all digits";
  return null;
}
