import { describe, expect, it } from "vitest";
import { runCommand } from "./run-command.ts";

describe("runCommand output lines", () => {
  it("cuts a 64 MB line without a newline into 16 KiB pieces as it arrives", async () => {
    let pieces = 0;
    let longest = 0;
    let total = 0;
    let heapPeak = 0;
    const heapBefore = process.memoryUsage().heapUsed;
    const result = await runCommand(
      "/bin/sh",
      ["-c", "head -c 67108864 /dev/zero | tr '\\0' x; echo; echo done"],
      {
        timeoutMs: 60_000,
        onLine: (_stream, line) => {
          pieces++;
          total += line.length;
          longest = Math.max(longest, Buffer.byteLength(line));
          if (pieces % 512 === 0) heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed - heapBefore);
        },
      },
    );
    expect(result.code).toBe(0);
    expect(longest).toBeLessThanOrEqual(16 * 1024);
    expect(total).toBe(64 * 1024 * 1024 + "done".length);
    expect(pieces).toBeGreaterThanOrEqual(4096);
    expect(result.tail.at(-1)).toBe("done");
    // readline held the whole line (64 MB of bytes, 128 MB as a JS string) before its first callback.
    expect(heapPeak).toBeLessThan(48 * 1024 * 1024);
  });
});
