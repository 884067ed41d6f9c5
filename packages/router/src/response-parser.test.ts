import { describe, expect, it } from "vitest";
import { type ResponseEvents, ResponseParser } from "./response-parser.ts";

// response-parser.ts drives llhttp's WebAssembly build (ADR 0122) through llhttp-wasm.ts, which keeps the
// rules node's binding had: fields joined across reads, trailing whitespace trimmed, the header-size limit.

interface Parsed {
  heads: { status: number; message: string; headers: string[]; keepAlive: boolean }[];
  body: string;
  completed: number;
}

function parserFor(noBody = false, maxHeaderSize = 0): { parser: ResponseParser; parsed: Parsed } {
  const parsed: Parsed = { heads: [], body: "", completed: 0 };
  const events: ResponseEvents = {
    onHead: (status, message, headers, keepAlive) => {
      parsed.heads.push({ status, message, headers, keepAlive });
      return noBody || status < 200 ? 1 : 0;
    },
    onBody: (chunk) => {
      parsed.body += chunk.toString("latin1");
    },
    onComplete: () => {
      parsed.completed += 1;
    },
  };
  return { parser: new ResponseParser(events, maxHeaderSize), parsed };
}

describe("response parser: llhttp in WebAssembly", () => {
  it("joins names and values split across reads, keeps empty values, and trims trailing whitespace", () => {
    const { parser, parsed } = parserFor();
    const bytes = "HTTP/1.1 200 OK\r\nX-Empty:\r\nX-Long-Name: some value \t\r\nContent-Length: 2\r\n\r\nok";
    // One byte per read: every name, value and the reason phrase arrive in pieces.
    for (const byte of Buffer.from(bytes)) expect(parser.execute(Buffer.from([byte]))).toBeUndefined();
    expect(parsed.heads[0]).toMatchObject({
      message: "OK",
      headers: ["X-Empty", "", "X-Long-Name", "some value", "Content-Length", "2"],
    });
    expect([parsed.body, parsed.completed]).toEqual(["ok", 1]);
    parser.close();
  });

  it("answers a head over the size limit with HPE_HEADER_OVERFLOW, as node's binding does", () => {
    const { parser } = parserFor(false, 64);
    const err = parser.execute(Buffer.from(`HTTP/1.1 200 OK\r\nX-Big: ${"x".repeat(100)}\r\n\r\n`));
    expect(err).toMatchObject({ code: "HPE_HEADER_OVERFLOW" });
    const bad = parserFor().parser;
    expect(bad.execute(Buffer.from("HTTP/1.1 abc OK\r\n\r\n"))).toMatchObject({ code: "HPE_INVALID_STATUS" });
    parser.close();
    bad.close();
  });

  it("calls back with status, reason, raw fields and keep-alive in the order it reads them", () => {
    const { parser, parsed } = parserFor();
    const bytes = "HTTP/1.1 201 Créé\r\nX-A: 1\r\nx-a: 2\r\nContent-Length: 5\r\n\r\nhello";
    expect(parser.execute(Buffer.from(bytes, "latin1"))).toBeUndefined();
    expect(parsed.heads).toEqual([
      {
        status: 201,
        message: "Créé",
        headers: ["X-A", "1", "x-a", "2", "Content-Length", "5"],
        keepAlive: true,
      },
    ]);
    expect(parsed.body).toBe("hello");
    expect(parsed.completed).toBe(1);
    parser.close();
  });

  it("delivers a head of more than 32 fields whole, and the next message on the same parser", () => {
    const { parser, parsed } = parserFor();
    let head = "HTTP/1.1 200 OK\r\n";
    for (let i = 0; i < 40; i += 1) head += `x-field-${i}: ${i}\r\n`;
    const next = "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n";
    expect(parser.execute(Buffer.from(`${head}Content-Length: 2\r\n\r\nok${next}`))).toBeUndefined();
    expect(parsed.heads[0]?.headers).toHaveLength(82);
    expect(parsed.heads[0]?.headers[78]).toBe("x-field-39");
    expect(parsed.heads[1]).toMatchObject({ status: 204, keepAlive: false });
    expect(parsed.completed).toBe(2);
    parser.close();
  });

  it("frames chunked and close-delimited bodies, skips a body when told, and reports bad bytes", () => {
    const chunked = parserFor();
    chunked.parser.execute(
      Buffer.from("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
    );
    expect([chunked.parsed.body, chunked.parsed.completed]).toEqual(["abc", 1]);

    const closing = parserFor();
    closing.parser.execute(Buffer.from("HTTP/1.1 200 OK\r\n\r\nuntil the end"));
    expect(closing.parsed.completed).toBe(0);
    expect(closing.parser.finish()).toBeUndefined();
    expect([closing.parsed.body, closing.parsed.completed]).toEqual(["until the end", 1]);

    // The answer to a HEAD: onHead returning 1 means no body follows, whatever Content-Length says.
    const head = parserFor(true);
    head.parser.execute(Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"));
    expect(head.parsed.completed).toBe(1);

    const garbage = parserFor();
    expect(garbage.parser.execute(Buffer.from("SMTP ready\r\n\r\n"))).toBeInstanceOf(Error);
    const truncated = parserFor();
    truncated.parser.execute(Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"));
    expect(truncated.parser.finish()).toBeInstanceOf(Error);
    for (const p of [chunked, closing, head, garbage, truncated]) p.parser.close();
  });

  // Reads far bigger than the bench's: thousands of pieces for one execute.
  it("keeps every field of a head of 6,000 pieces read at once", () => {
    const { parser, parsed } = parserFor(false, 64 * 1024);
    let head = "HTTP/1.1 200 OK\r\n";
    for (let i = 0; i < 3000; i += 1) head += `x${i}:${i}\r\n`;
    expect(parser.execute(Buffer.from(`${head}Content-Length: 0\r\n\r\n`))).toBeUndefined();
    const headers = parsed.heads[0]?.headers ?? [];
    expect(headers).toHaveLength(6002);
    expect([headers[0], headers[1], headers[5998], headers[5999]]).toEqual(["x0", "0", "x2999", "2999"]);
    expect(parsed.completed).toBe(1);
    parser.close();
  });

  it("delivers 8,000 chunks read at once in order, and drops the trailers", () => {
    const { parser, parsed } = parserFor();
    let body = "";
    let expected = "";
    for (let i = 0; i < 8000; i += 1) {
      const c = String.fromCharCode(97 + (i % 26));
      body += `1\r\n${c}\r\n`;
      expected += c;
    }
    const trailers = "X-Checksum: 1\r\n\r\n";
    const next = "HTTP/1.1 204 No Content\r\nX-After: yes\r\n\r\n";
    const bytes = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${body}0\r\n${trailers}`;
    // The trailers end the first read; the next message comes in a read of its own.
    expect(parser.execute(Buffer.from(bytes))).toBeUndefined();
    expect(parser.execute(Buffer.from(next))).toBeUndefined();
    expect(parsed.body).toBe(expected);
    expect(parsed.completed).toBe(2);
    // The trailer is in neither head; the next message's head is its own.
    expect(parsed.heads[0]?.headers).toEqual(["Transfer-Encoding", "chunked"]);
    expect(parsed.heads[1]?.headers).toEqual(["X-After", "yes"]);
    parser.close();
  });

  it("parses a message fed from another parser's callback without mixing their pieces", () => {
    const inner = parserFor();
    const parsed: string[] = [];
    const outer = new ResponseParser(
      {
        onHead: (_s, _m, headers) => {
          // A nested parse in the middle of the outer one's read.
          inner.parser.execute(Buffer.from("HTTP/1.1 200 OK\r\nX-Inner: 1\r\nContent-Length: 3\r\n\r\nin!"));
          parsed.push(...headers);
          return 0;
        },
        onBody: (chunk) => parsed.push(chunk.toString("latin1")),
        onComplete: () => parsed.push("done"),
      },
      0,
    );
    const bytes = "HTTP/1.1 200 OK\r\nX-Outer: 1\r\nContent-Length: 4\r\n\r\nout!";
    expect(outer.execute(Buffer.from(bytes))).toBeUndefined();
    expect(parsed).toEqual(["X-Outer", "1", "Content-Length", "4", "out!", "done"]);
    expect(inner.parsed.heads[0]?.headers).toEqual(["X-Inner", "1", "Content-Length", "3"]);
    expect([inner.parsed.body, inner.parsed.completed]).toEqual(["in!", 1]);
    outer.close();
    inner.parser.close();
  });
});
