import { HTTP_METHODS, HttpParser } from "./response-parser.ts";

// The client side of the router parses requests with the same llhttp binding as the upstream side (ADR
// 0073, ADR 0120): node:http's server parses with it too, so what it accepts and rejects is unchanged.

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
  onHead(head: RequestHead): 0 | 2;
  onBody(chunk: Buffer): void;
  onComplete(): void;
}

/** One llhttp request parser for the lifetime of one client connection. */
export class RequestParser {
  readonly #native = new HttpParser();
  // Heads with more than 32 fields, or a long target, arrive in pieces through kOnHeaders first.
  #pendingHeaders: string[] = [];
  #pendingUrl = "";

  constructor(events: RequestEvents, maxHeaderSize: number) {
    const native = this.#native;
    native.initialize(HttpParser.REQUEST, {}, maxHeaderSize, HttpParser.kLenientNone ?? 0);
    // No kOnMessageBegin: the connection sees a new request start from its own state (one callback fewer).
    native[HttpParser.kOnHeaders] = (headers: string[], url: string): void => {
      this.#pendingHeaders.push(...headers);
      this.#pendingUrl += url;
    };
    native[HttpParser.kOnHeadersComplete] = (
      versionMajor: number,
      versionMinor: number,
      headers: string[] | undefined,
      method: number,
      url: string | undefined,
      _status: unknown,
      _message: unknown,
      upgrade: boolean,
      keepAlive: boolean,
    ): 0 | 2 => {
      const all = headers ?? this.#pendingHeaders;
      const target = url || this.#pendingUrl;
      this.#pendingHeaders = [];
      this.#pendingUrl = "";
      return events.onHead({
        method: HTTP_METHODS[method] ?? "GET",
        url: target,
        versionMajor,
        versionMinor,
        headers: all,
        upgrade,
        keepAlive,
      });
    };
    native[HttpParser.kOnBody] = (chunk: Buffer): void => events.onBody(chunk);
    native[HttpParser.kOnMessageComplete] = (): void => events.onComplete();
  }

  /**
   * Feeds bytes read from the client. Returns how many were HTTP (less than all after an upgrade head:
   * the rest belongs to the upgraded protocol), or an Error with llhttp's `code` for bytes that are not.
   */
  execute(data: Buffer): number | Error {
    const result = this.#native.execute(data);
    return result instanceof Error ? result : (result as number);
  }

  /** Frees the native parser; deferred, since it may be inside one of its own callbacks. */
  close(): void {
    setImmediate(() => this.#native.close());
  }
}
