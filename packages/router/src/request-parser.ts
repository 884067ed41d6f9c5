import { LLHTTP_METHODS, WasmParser } from "./llhttp-wasm.ts";

// The client side of the router parses requests with llhttp too, node:http's server parser, in the same
// WebAssembly build as the upstream side (ADR 0120, ADR 0122): what it accepts and rejects is llhttp's.

/** One request head as llhttp read it; `headers` is [name, value, name, value, …] as sent (latin1). */
export interface RequestHead {
  readonly method: string;
  readonly url: string;
  readonly versionMajor: number;
  readonly versionMinor: number;
  readonly headers: string[];
  readonly upgrade: boolean;
  /** What HTTP/1.x and the Connection header say about reusing the connection after this request. */
  readonly keepAlive: boolean;
}

export interface RequestEvents {
  /** Returns 2 for an upgrade the caller takes over (llhttp then stops at the end of the head). */
  /** 0 to read the body, 2 for an upgrade, -1 to refuse the request (the parser fails with HPE_CB_HEADERS_COMPLETE). */
  onHead(head: RequestHead): 0 | 2 | -1;
  onBody(chunk: Buffer): void;
  onComplete(): void;
}

/** One llhttp request parser for the lifetime of one client connection. */
export class RequestParser {
  readonly #native: WasmParser;

  constructor(events: RequestEvents, maxHeaderSize: number) {
    this.#native = new WasmParser(WasmParser.REQUEST, maxHeaderSize, {
      onHeadersComplete: (versionMajor, versionMinor, headers, method, url, _s, _m, upgrade, keepAlive) =>
        events.onHead({
          method: LLHTTP_METHODS[method] ?? "GET",
          url,
          versionMajor,
          versionMinor,
          headers,
          upgrade,
          keepAlive,
        }),
      // Request bodies may wait for their turn (pipelining) or in a socket's queue: they get a copy.
      onBody: (chunk) => events.onBody(Buffer.from(chunk)),
      onMessageComplete: () => events.onComplete(),
    });
  }

  /**
   * Feeds bytes read from the client. Returns how many were HTTP (less than all after an upgrade head:
   * the rest belongs to the upgraded protocol), or an Error with llhttp's `code` for bytes that are not.
   */
  execute(data: Buffer): number | Error {
    return this.#native.execute(data);
  }

  /** Frees the parser; deferred, since it may be inside one of its own callbacks. */
  close(): void {
    setImmediate(() => this.#native.close());
  }
}
