import type { CommandIo } from "../commands/plan.ts";

/**
 * `--json` output: one JSON document on one line, the api's own field names, nothing else on stdout, so
 * `kli8nt … --json | jq` always parses (ADR 0197).
 */
export function printJson(io: CommandIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value)}\n`);
}

/** Rows as aligned columns (two spaces apart); the last column is never padded. */
export function printTable(io: CommandIo, rows: readonly (readonly string[])[]): void {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  for (const row of rows) {
    const cells = row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)));
    io.stdout.write(`${cells.join("  ")}\n`);
  }
}

/** A path segment of a user-given name (app, cron job, token id). */
export const seg = (value: string) => encodeURIComponent(value);
