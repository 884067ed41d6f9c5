import { createRequire } from "node:module";

// The upstream side of the router parses responses with node's own llhttp binding, the parser node:http's
// client uses, through the legacy `_http_common` module (ADR 0073). It frames bodies (Content-Length,
// chunked, close-delimited, HEAD, 1xx, 204/304) exactly as node:http does and rejects what node:http
// rejects, without node:http's per-response IncomingMessage stream. The shape is checked at load so a Node
// release that changed it fails loudly at start, not per request.

/** What llhttp calls back with; `headers` is [name, value, name, value, …] as sent (latin1). */
export interface ResponseEvents {
  /** Returns 1 to tell the parser this response has no body (answer to HEAD, or an interim 1xx). */
  onHead(status: number, message: string, headers: string[], keepAlive: boolean): 0 | 1;
  onBody(chunk: Buffer): void;
  onComplete(): void;
}

export interface NativeParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | Error;
  finish(): undefined | Error;
  close(): void;
  [slot: number]: unknown;
}

export interface NativeParserClass {
  new (): NativeParser;
  readonly REQUEST: number;
  readonly RESPONSE: number;
  readonly kOnHeaders: number;
  readonly kOnHeadersComplete: number;
  readonly kOnBody: number;
  readonly kOnMessageComplete: number;
  readonly kLenientNone: number;
}

const SLOTS = [
  "RESPONSE",
  "kOnHeaders",
  "kOnHeadersComplete",
  "kOnBody",
  "kOnMessageComplete",
  // The client side (request-parser.ts) parses requests with the same binding.
  "REQUEST",
] as const;
const PARSER_METHODS = ["initialize", "execute", "finish", "close"] as const;

/**
 * Returns `_http_common`'s HTTPParser when it has the constants and methods this file relies on, and
 * throws otherwise. Runs once at load; exported so that a test feeds it broken shapes.
 */
export function checkParserShape(module: unknown): NativeParserClass {
  const parser = (module as { HTTPParser?: Partial<Record<string, unknown>> } | undefined)?.HTTPParser;
  for (const key of SLOTS) {
    if (typeof parser?.[key] !== "number") {
      throw new Error(`node:_http_common.HTTPParser.${key} is missing: this Node version is not supported`);
    }
  }
  const proto = (parser as { prototype?: Partial<Record<string, unknown>> }).prototype;
  for (const key of PARSER_METHODS) {
    if (typeof proto?.[key] !== "function") {
      throw new Error(`node:_http_common.HTTPParser#${key} is missing: this Node version is not supported`);
    }
  }
  return parser as unknown as NativeParserClass;
}

const common = createRequire(import.meta.url)("_http_common") as { methods?: unknown };
/** The checked llhttp binding, shared with request-parser.ts. */
export const HttpParser = checkParserShape(common);
const Parser = HttpParser;
/** llhttp's method names by the index kOnHeadersComplete passes for a request. */
export const HTTP_METHODS: readonly string[] = checkMethods(common.methods);

function checkMethods(methods: unknown): readonly string[] {
  if (!Array.isArray(methods) || methods[1] !== "GET") {
    throw new Error("node:_http_common.methods is missing: this Node version is not supported");
  }
  return methods as string[];
}

/** One llhttp response parser, for the lifetime of one upstream connection (it parses message after message). */
export class ResponseParser {
  readonly #native = new Parser();
  // Heads with more than 32 fields arrive in pieces through kOnHeaders before kOnHeadersComplete.
  #pending: string[] = [];

  constructor(events: ResponseEvents, maxHeaderSize: number) {
    const native = this.#native;
    native.initialize(Parser.RESPONSE, {}, maxHeaderSize, Parser.kLenientNone ?? 0);
    native[Parser.kOnHeaders] = (headers: string[]): void => {
      this.#pending.push(...headers);
    };
    native[Parser.kOnHeadersComplete] = (
      _major: number,
      _minor: number,
      headers: string[] | undefined,
      _method: unknown,
      _url: unknown,
      status: number,
      message: string,
      _upgrade: boolean,
      keepAlive: boolean,
    ): 0 | 1 => {
      let all = headers;
      if (all === undefined) {
        all = this.#pending;
        this.#pending = [];
      }
      return events.onHead(status, message, all, keepAlive);
    };
    native[Parser.kOnBody] = (chunk: Buffer): void => events.onBody(chunk);
    native[Parser.kOnMessageComplete] = (): void => {
      this.#pending = [];
      events.onComplete();
    };
  }

  /** Feeds bytes read from the upstream; returns an Error when they are not a valid HTTP/1.x response. */
  execute(data: Buffer): Error | undefined {
    const result = this.#native.execute(data);
    return result instanceof Error ? result : undefined;
  }

  /** The upstream closed: completes a close-delimited body, or returns an Error for a truncated message. */
  finish(): Error | undefined {
    const result = this.#native.finish();
    return result instanceof Error ? result : undefined;
  }

  /** Frees the native parser; deferred, since it may be inside one of its own callbacks. */
  close(): void {
    setImmediate(() => this.#native.close());
  }
}
