import { maxHeaderSize as defaultMaxHeaderSize } from "node:http";
import { createRequire } from "node:module";

// llhttp, the parser node:http uses, as the WebAssembly build undici ships (ADR 0122). Its callbacks are
// plain JS calls with offsets into the module's memory: no C++/JS crossing per callback and no copy of
// each body chunk, which is what node's binding (`_http_common`) cost per exchange. This class keeps the
// binding's shape (initialize/execute/finish/close and callback slots), its header-size rule and its
// error codes, so request-parser.ts and response-parser.ts read the same events as before.

const require = createRequire(import.meta.url);

// The tsconfig has no DOM library, which is where TypeScript declares WebAssembly: the little used here.
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
}
const { Module, Instance } = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface LlhttpExports {
  readonly memory: { readonly buffer: ArrayBuffer };
  _initialize?(): void;
  malloc(size: number): number;
  free(ptr: number): void;
  llhttp_alloc(type: number): number;
  llhttp_free(ptr: number): void;
  llhttp_execute(ptr: number, data: number, len: number): number;
  llhttp_finish(ptr: number): number;
  llhttp_resume_after_upgrade(ptr: number): void;
  llhttp_get_error_pos(ptr: number): number;
  llhttp_get_error_reason(ptr: number): number;
  llhttp_errno_name(errno: number): number;
  llhttp_get_method(ptr: number): number;
  llhttp_get_http_major(ptr: number): number;
  llhttp_get_http_minor(ptr: number): number;
}

interface LlhttpConstants {
  readonly ERROR: Readonly<Record<string, number>>;
  readonly METHODS: Readonly<Record<string, number>>;
  readonly TYPE: { readonly REQUEST: number; readonly RESPONSE: number };
}

const constants = require("undici/lib/llhttp/constants.js") as LlhttpConstants;
const OK = constants.ERROR.OK ?? 0;
const USER = constants.ERROR.USER ?? 24;
const PAUSED_UPGRADE = constants.ERROR.PAUSED_UPGRADE ?? 22;

/** llhttp's method names by the number llhttp_get_method returns. */
export const LLHTTP_METHODS: readonly string[] = (() => {
  const names: string[] = [];
  for (const [name, n] of Object.entries(constants.METHODS)) names[n] = name;
  return names;
})();

// The kinds of head pieces a parser keeps as offsets until it decodes them.
const URL_PIECE = 0;
const STATUS_PIECE = 1;
const NAME_PIECE = 2;
const VALUE_PIECE = 3;

/** The parser being executed; llhttp's imports find their parser here (one execute at a time). */
let current: WasmParser | null = null;

function compile(): object {
  try {
    return new Module(require("undici/lib/llhttp/llhttp_simd-wasm.js") as Uint8Array);
  } catch {
    // A CPU or engine without WebAssembly SIMD.
    return new Module(require("undici/lib/llhttp/llhttp-wasm.js") as Uint8Array);
  }
}

const instance = new Instance(compile(), {
  env: {
    wasm_on_message_begin: () => current?.onMessageBegin() ?? 0,
    wasm_on_url: (_p: number, at: number, len: number) => current?.onUrl(at, len) ?? 0,
    wasm_on_status: (_p: number, at: number, len: number) => current?.onStatus(at, len) ?? 0,
    wasm_on_header_field: (_p: number, at: number, len: number) => current?.onField(at, len) ?? 0,
    wasm_on_header_value: (_p: number, at: number, len: number) => current?.onValue(at, len) ?? 0,
    wasm_on_headers_complete: (_p: number, status: number, upgrade: number, keepAlive: number) =>
      current?.onHeadersComplete(status, upgrade === 1, keepAlive === 1) ?? 0,
    wasm_on_body: (_p: number, at: number, len: number) => current?.onBody(at, len) ?? 0,
    wasm_on_message_complete: () => current?.onMessageComplete() ?? 0,
  },
});
const llhttp = instance.exports as unknown as LlhttpExports;
llhttp._initialize?.();

/**
 * A Buffer over the module's memory; a new one after the memory grows. Growing detaches the old
 * ArrayBuffer, which leaves the view with length 0: checking that spares the `memory.buffer` getter, a
 * call into C++, on every callback.
 */
let heap = Buffer.from(llhttp.memory.buffer);
function memory(): Buffer {
  if (heap.length === 0) heap = Buffer.from(llhttp.memory.buffer);
  return heap;
}

/** Where each execute's bytes are copied for llhttp to read; grown when a read is bigger. */
let input = { ptr: 0, size: 0 };
function inputFor(len: number): number {
  if (len > input.size) {
    if (input.ptr !== 0) llhttp.free(input.ptr);
    const size = Math.ceil(len / 65536) * 65536;
    input = { ptr: llhttp.malloc(size), size };
  }
  return input.ptr;
}

function cString(ptr: number): string {
  if (ptr === 0) return "";
  const mem = memory();
  const end = mem.indexOf(0, ptr);
  return mem.toString("latin1", ptr, end < 0 ? ptr : end);
}

export type HeadersCompleteCallback = (
  versionMajor: number,
  versionMinor: number,
  headers: string[],
  method: number,
  url: string,
  status: number,
  message: string,
  upgrade: boolean,
  keepAlive: boolean,
) => number;

/** The callbacks a parser calls, as the binding's slots: the body chunk is a view valid only during the call. */
export interface WasmParserCallbacks {
  onHeadersComplete: HeadersCompleteCallback;
  onBody(chunk: Buffer): void;
  onMessageComplete(): void;
}

/** One llhttp parser in the WebAssembly module, for the life of one connection. */
export class WasmParser {
  static readonly REQUEST = constants.TYPE.REQUEST;
  static readonly RESPONSE = constants.TYPE.RESPONSE;

  #ptr: number;
  readonly #maxHeaderSize: number;
  #headerBytes = 0;
  #overflow = false;
  /** Past the head: names and values read now are trailers, which are not relayed. */
  #inBody = false;
  #url = "";
  #status = "";
  /** [name, value, name, value, …]; a name or value split across reads is appended to. */
  #headers: string[] = [];
  /**
   * The head's pieces not yet made strings, as [kind, at, len, …] into the module's memory: they are
   * decoded with one slice per read (one C++ call instead of one per piece), before that memory is reused.
   */
  readonly #pieces: number[] = [];

  constructor(
    type: number,
    maxHeaderSize: number,
    private readonly callbacks: WasmParserCallbacks,
  ) {
    this.#ptr = llhttp.llhttp_alloc(type);
    // 0 means node's own limit (--max-http-header-size), as with the binding.
    this.#maxHeaderSize = maxHeaderSize > 0 ? maxHeaderSize : defaultMaxHeaderSize;
  }

  /** Parses bytes; returns how many were HTTP (fewer after an upgrade head), or an Error with llhttp's code. */
  execute(data: Uint8Array): number | Error {
    // Freed: its memory may belong to another parser by now.
    if (this.#ptr === 0)
      return Object.assign(new Error("Parse Error: parser closed"), { code: "ERR_PARSER_CLOSED" });
    const prior = current;
    // A callback that feeds another parser must not overwrite the bytes this one is reading.
    const nested = prior !== null;
    const ptr = nested ? llhttp.malloc(Math.max(1, data.length)) : inputFor(data.length);
    memory().set(data, ptr);
    current = this;
    let err: number;
    try {
      err = llhttp.llhttp_execute(this.#ptr, ptr, data.length);
      // A head split across reads: its pieces so far point into bytes the next execute overwrites.
      this.#decodePieces();
    } finally {
      current = prior;
      if (nested) llhttp.free(ptr);
    }
    if (err === OK) return data.length;
    const parsed = llhttp.llhttp_get_error_pos(this.#ptr) - ptr;
    if (err === PAUSED_UPGRADE) {
      llhttp.llhttp_resume_after_upgrade(this.#ptr);
      return parsed;
    }
    return this.#error(err, parsed);
  }

  /** The peer closed: completes a close-delimited body, or returns an Error for a cut message. */
  finish(): Error | undefined {
    if (this.#ptr === 0) return undefined;
    const prior = current;
    current = this;
    let err: number;
    try {
      err = llhttp.llhttp_finish(this.#ptr);
    } finally {
      current = prior;
    }
    return err === OK ? undefined : this.#error(err, 0);
  }

  close(): void {
    if (this.#ptr === 0) return;
    llhttp.llhttp_free(this.#ptr);
    this.#ptr = 0;
  }

  #error(errno: number, bytesParsed: number): Error {
    // The binding's codes: HPE_HEADER_OVERFLOW for a head over the limit, llhttp's name otherwise.
    const code =
      this.#overflow && errno === USER ? "HPE_HEADER_OVERFLOW" : cString(llhttp.llhttp_errno_name(errno));
    const reason = this.#overflow ? "Header overflow" : cString(llhttp.llhttp_get_error_reason(this.#ptr));
    return Object.assign(new Error(`Parse Error: ${reason}`), { code, reason, bytesParsed });
  }

  /** node's rule: the request target, status text, names and values together stay under the limit. */
  #track(len: number): boolean {
    this.#headerBytes += len;
    if (this.#headerBytes < this.#maxHeaderSize) return true;
    this.#overflow = true;
    return false;
  }

  onMessageBegin(): number {
    this.#headerBytes = 0;
    this.#url = "";
    this.#status = "";
    this.#headers = [];
    this.#pieces.length = 0;
    this.#inBody = false;
    return 0;
  }

  onUrl(at: number, len: number): number {
    return this.#piece(URL_PIECE, at, len);
  }

  onStatus(at: number, len: number): number {
    return this.#piece(STATUS_PIECE, at, len);
  }

  onField(at: number, len: number): number {
    return this.#piece(NAME_PIECE, at, len);
  }

  onValue(at: number, len: number): number {
    return this.#piece(VALUE_PIECE, at, len);
  }

  #piece(kind: number, at: number, len: number): number {
    if (!this.#track(len)) return USER;
    // Trailers still count against the limit, but the head they would join is already handed over.
    if (!this.#inBody) this.#pieces.push(kind, at, len);
    return 0;
  }

  /** Makes strings of the pieces read so far: one latin1 slice over all of them, then substrings. */
  #decodePieces(): void {
    const pieces = this.#pieces;
    if (pieces.length === 0) return;
    // Pieces of one read come in order and do not overlap: the first starts the span, the last ends it.
    const lo = pieces[1] as number;
    const hi = (pieces[pieces.length - 2] as number) + (pieces[pieces.length - 1] as number);
    const block = memory().toString("latin1", lo, hi);
    const headers = this.#headers;
    for (let i = 0; i < pieces.length; i += 3) {
      const kind = pieces[i] as number;
      const start = (pieces[i + 1] as number) - lo;
      const text = block.substring(start, start + (pieces[i + 2] as number));
      if (kind === URL_PIECE) this.#url += text;
      else if (kind === STATUS_PIECE) this.#status += text;
      // A name (an even count so far: every name has its value) or value starts an entry; a second
      // piece of the same one in a row is the rest of it, split across reads.
      else if (headers.length % 2 === (kind === NAME_PIECE ? 0 : 1)) headers.push(text);
      else headers[headers.length - 1] += text;
    }
    pieces.length = 0;
  }

  onHeadersComplete(status: number, upgrade: boolean, keepAlive: boolean): number {
    this.#decodePieces();
    this.#inBody = true;
    const headers = this.#headers;
    // Pairs whatever happens: a last name that got no value callback at all gets an empty value.
    if (headers.length % 2 === 1) headers.push("");
    for (let i = 1; i < headers.length; i += 2) {
      const value = headers[i] as string;
      const last = value.charCodeAt(value.length - 1);
      // The binding hands values over without trailing whitespace.
      if (last === 0x20 || last === 0x09) headers[i] = value.replace(/[ \t]+$/, "");
    }
    this.#headerBytes = 0;
    const ptr = this.#ptr;
    return this.callbacks.onHeadersComplete(
      llhttp.llhttp_get_http_major(ptr),
      llhttp.llhttp_get_http_minor(ptr),
      headers,
      llhttp.llhttp_get_method(ptr),
      this.#url,
      status,
      this.#status,
      upgrade,
      keepAlive,
    );
  }

  onBody(at: number, len: number): number {
    const mem = memory();
    this.callbacks.onBody(mem.subarray(at, at + len));
    return 0;
  }

  onMessageComplete(): number {
    this.callbacks.onMessageComplete();
    return 0;
  }
}
