import type { Socket } from "node:net";
import type { RequestHead } from "./request-parser.ts";

/** Where a request's body goes once an exchange takes it. */
export interface BodySink {
  onData(chunk: Buffer): void;
  onEnd(): void;
  /** The client went away or broke the framing before the body ended. */
  onAbort(): void;
}

/** Lets the body ask the client connection to stop and restart reading (backpressure). */
export interface BodyFlow {
  pauseBody(): void;
  resumeBody(): void;
}

type BodyState = "open" | "ended" | "aborted";

/** What the router, as the edge, says about a client connection in X-Forwarded-*: read once per connection. */
export interface EdgeFacts {
  readonly remoteAddress: string;
  readonly proto: "http" | "https";
  /** The port the client connected to, as text. */
  readonly port: string;
}

export function edgeFacts(socket: Socket): EdgeFacts {
  return {
    remoteAddress: socket.remoteAddress ?? "",
    proto: "encrypted" in socket && socket.encrypted === true ? "https" : "http",
    port: String(socket.localPort ?? ""),
  };
}

/**
 * A request body as the client connection parses it. Chunks that arrive before an exchange takes the body
 * (a pipelined request waiting its turn) are kept, then handed over in order.
 */
export class RequestBody {
  #sink: BodySink | null = null;
  #held: Buffer[] = [];
  #state: BodyState = "open";
  #released = false;

  constructor(private readonly flow: BodyFlow) {}

  attach(sink: BodySink): void {
    this.#sink = sink;
    this.#released = false;
    const held = this.#held;
    this.#held = [];
    for (const chunk of held) sink.onData(chunk);
    if (this.#state === "ended") sink.onEnd();
    else if (this.#state === "aborted") sink.onAbort();
  }

  /** The exchange is done with the body: what still arrives is read and dropped. */
  release(): void {
    this.#sink = null;
    this.#released = true;
    this.#held = [];
    this.flow.resumeBody();
  }

  push(chunk: Buffer): void {
    if (this.#sink !== null) this.#sink.onData(chunk);
    else if (!this.#released) this.#held.push(chunk);
  }

  end(): void {
    if (this.#state !== "open") return;
    this.#state = "ended";
    this.#sink?.onEnd();
  }

  abort(): void {
    if (this.#state !== "open") return;
    this.#state = "aborted";
    this.#sink?.onAbort();
  }

  pause(): void {
    this.flow.pauseBody();
  }

  resume(): void {
    this.flow.resumeBody();
  }
}

/**
 * The request fields the router reads, by lower-case name, with repeats joined by ", " as node:http joins
 * them (Host and Content-Length keep the first). Other fields are only in `rawHeaders`, which is what is
 * forwarded: a fixed set keeps this object one shape and spares lower-casing most names.
 */
export interface RequestFields {
  host: string | undefined;
  accept: string | undefined;
  expect: string | undefined;
  upgrade: string | undefined;
  connection: string | undefined;
  "content-length": string | undefined;
  "transfer-encoding": string | undefined;
  "x-forwarded-for": string | undefined;
}

// The rule readFields applies: repeats of these are joined, of those the first is kept. A repeated Host
// is joined too, so that it is refused (RFC 9112 §3.2) rather than routed by whichever copy comes first:
// the app behind might read the other one.
const JOINED = new Set<string>([
  "host",
  "accept",
  "expect",
  "upgrade",
  "connection",
  "transfer-encoding",
  "x-forwarded-for",
]);
const FIRST_WINS = new Set<string>(["content-length"]);
// Only names of these lengths can be one of the fields: the others are never lower-cased.
const LENGTHS = new Set([...JOINED, ...FIRST_WINS].map((name) => name.length));

/** One client request as the router sees it: the parsed head, the fields it reads, the socket, the body. */
export class ProxyRequest {
  readonly method: string;
  readonly url: string;
  readonly httpVersionMinor: number;
  readonly rawHeaders: string[];
  readonly headers: RequestFields;
  readonly keepAlive: boolean;
  readonly body: RequestBody;

  constructor(
    head: RequestHead,
    readonly socket: Socket,
    readonly edge: EdgeFacts,
    flow: BodyFlow,
  ) {
    this.method = head.method;
    this.url = head.url;
    // HTTP/1.0 gets HTTP/1.0 framing back (no chunked); anything else is treated as 1.1.
    this.httpVersionMinor = head.versionMajor === 1 ? head.versionMinor : 1;
    this.rawHeaders = head.headers;
    this.headers = readFields(head.headers);
    this.keepAlive = head.keepAlive;
    this.body = new RequestBody(flow);
  }
}

function readFields(raw: string[]): RequestFields {
  const fields: RequestFields = {
    host: undefined,
    accept: undefined,
    expect: undefined,
    upgrade: undefined,
    connection: undefined,
    "content-length": undefined,
    "transfer-encoding": undefined,
    "x-forwarded-for": undefined,
  };
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    if (!LENGTHS.has(name.length)) continue;
    const value = raw[i + 1] as string;
    // Property by property, not fields[name]: a keyed store with varying names is a slow megamorphic one.
    switch (name.toLowerCase()) {
      case "host":
        fields.host = join(fields.host, value);
        break;
      case "content-length":
        fields["content-length"] ??= value;
        break;
      case "accept":
        fields.accept = join(fields.accept, value);
        break;
      case "expect":
        fields.expect = join(fields.expect, value);
        break;
      case "upgrade":
        fields.upgrade = join(fields.upgrade, value);
        break;
      case "connection":
        fields.connection = join(fields.connection, value);
        break;
      case "transfer-encoding":
        fields["transfer-encoding"] = join(fields["transfer-encoding"], value);
        break;
      case "x-forwarded-for":
        fields["x-forwarded-for"] = join(fields["x-forwarded-for"], value);
        break;
    }
  }
  return fields;
}

function join(prior: string | undefined, value: string): string {
  return prior === undefined ? value : `${prior}, ${value}`;
}
