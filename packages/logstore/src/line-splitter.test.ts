import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { LineSplitter, readLines } from "./line-splitter.ts";
import { MAX_LINE_BYTES } from "./record.ts";

describe("LineSplitter", () => {
  it("splits lines across chunks and drops a trailing CR", () => {
    const got: [string, boolean][] = [];
    const s = new LineSplitter((l, p) => got.push([l, p]));
    s.push("a\r\nb");
    s.push("c\n\nd");
    s.end();
    expect(got).toEqual([
      ["a", false],
      ["bc", false],
      ["", false],
      ["d", false],
    ]);
  });

  it("never holds more than the line cap of a 300 MB stream without a newline", () => {
    let pieces = 0;
    let bytes = 0;
    let maxPending = 0;
    const s = new LineSplitter((line, partial) => {
      pieces++;
      bytes += Buffer.byteLength(line);
      expect(Buffer.byteLength(line)).toBeLessThanOrEqual(MAX_LINE_BYTES);
      if (pieces < 19_000) expect(partial).toBe(true);
    });
    const chunk = Buffer.alloc(64 * 1024, "x");
    const total = 300 * 1024 * 1024;
    for (let sent = 0; sent < total; sent += chunk.length) {
      s.push(chunk);
      maxPending = Math.max(maxPending, s.pendingBytes);
    }
    s.end();
    expect(maxPending).toBeLessThanOrEqual(MAX_LINE_BYTES);
    expect(bytes).toBe(total);
    expect(pieces).toBe(total / MAX_LINE_BYTES);
  });

  it("cuts between UTF-8 characters, never inside one", () => {
    const got: string[] = [];
    const s = new LineSplitter((l) => got.push(l), 8);
    s.push("ééééééé€€€😀😀");
    s.end();
    expect(got.join("")).toBe("ééééééé€€€😀😀");
    for (const piece of got) {
      expect(piece).not.toContain("\ufffd");
      expect(Buffer.byteLength(piece)).toBeLessThanOrEqual(8);
    }
  });

  it("reads a stream to its end, flushing the last line", async () => {
    const input = new PassThrough();
    const got: string[] = [];
    readLines(input, (l) => got.push(l));
    input.end("one\ntwo");
    await new Promise((r) => input.on("end", r));
    expect(got).toEqual(["one", "two"]);
  });
});
