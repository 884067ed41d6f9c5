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
});
