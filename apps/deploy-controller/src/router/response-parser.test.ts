import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { checkParserShape, type ResponseEvents, ResponseParser } from "./response-parser.ts";

// response-parser.ts drives node's internal llhttp binding (`_http_common`, undocumented; ADR 0073). These
// tests pin the shape it relies on, so a Node upgrade that changes it fails here by name, not as 502s.

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

describe("response parser: node's internal llhttp binding", () => {
  it("accepts this Node's _http_common and rejects a shape without what it uses", () => {
    const real = createRequire(import.meta.url)("_http_common") as { HTTPParser: unknown };
    expect(checkParserShape(real)).toBe(real.HTTPParser);
    expect(() => checkParserShape({})).toThrow(/HTTPParser\.RESPONSE is missing/);
    const noSlot = Object.assign(() => undefined, {
      RESPONSE: 2,
      kOnHeaders: 1,
      kOnHeadersComplete: 2,
      kOnBody: 3,
    });
    expect(() => checkParserShape({ HTTPParser: noSlot })).toThrow(/kOnMessageComplete is missing/);
    const noMethod = Object.assign(() => undefined, {
      RESPONSE: 2,
      kOnHeaders: 1,
      kOnHeadersComplete: 2,
      kOnBody: 3,
      kOnMessageComplete: 4,
      REQUEST: 1,
    });
    expect(() => checkParserShape({ HTTPParser: noMethod })).toThrow(/HTTPParser#initialize is missing/);
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
