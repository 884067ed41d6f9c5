import { WasmParser } from "./llhttp-wasm.ts";

// The upstream side of the router parses responses with llhttp, the parser node:http's client uses, in
// its WebAssembly build (ADR 0122; node's internal binding before, ADR 0073). It frames bodies
// (Content-Length, chunked, close-delimited, HEAD, 1xx, 204/304) as node:http does and rejects what
// node:http rejects, without node:http's per-response IncomingMessage stream.

/** What llhttp calls back with; `headers` is [name, value, name, value, …] as sent (latin1). */
export interface ResponseEvents {
  /** Returns 1 to tell the parser this response has no body (answer to HEAD, or an interim 1xx). */
  onHead(status: number, message: string, headers: string[], keepAlive: boolean): 0 | 1;
  /** `chunk` is valid during the call only: whatever keeps it must copy it. */
  onBody(chunk: Buffer): void;
  onComplete(): void;
}

/** One llhttp response parser, for the lifetime of one upstream connection (it parses message after message). */
export class ResponseParser {
  readonly #native: WasmParser;

  constructor(events: ResponseEvents, maxHeaderSize: number) {
    this.#native = new WasmParser(WasmParser.RESPONSE, maxHeaderSize, {
      onHeadersComplete: (_major, _minor, headers, _method, _url, status, message, _upgrade, keepAlive) =>
        events.onHead(status, message, headers, keepAlive),
      onBody: (chunk) => events.onBody(chunk),
      onMessageComplete: () => events.onComplete(),
    });
  }

  /** Feeds bytes read from the upstream; returns an Error when they are not a valid HTTP/1.x response. */
  execute(data: Buffer): Error | undefined {
    const result = this.#native.execute(data);
    return result instanceof Error ? result : undefined;
  }

  /** The upstream closed: completes a close-delimited body, or returns an Error for a truncated message. */
  finish(): Error | undefined {
    return this.#native.finish();
  }

  /** Frees the parser; deferred, since it may be inside one of its own callbacks. */
  close(): void {
    setImmediate(() => this.#native.close());
  }
}
