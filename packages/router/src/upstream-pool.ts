import { connect, type Socket } from "node:net";
import { UnavailableError } from "@kli8nt/core";
import { type ResponseEvents, ResponseParser } from "./response-parser.ts";
import type { UpstreamAddress } from "./upstream.ts";

/** One request/response on a connection: the response events, plus the connection's own failures. */
export interface ExchangeHandler extends ResponseEvents {
  /** The connection failed or closed before the response was complete. */
  onFail(err: Error): void;
  /** The socket took all buffered request bytes: the request body may flow again. */
  onDrain(): void;
  /** Everything read so far is parsed: body bytes held back to be sent with the end go out now. */
  onParsed(): void;
  /** A new connection was accepted by the upstream: a request body held until now may flow. */
  onConnect(): void;
}

// Idle connections kept per upstream, as the http.Agent's maxFreeSockets was.
const MAX_FREE = 256;
// What node:http sends for an upstream that closes without answering; the replay rule keys on its code.
const hangUp = (): Error => Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
// Every upstream socket reads into this one buffer (net's `onread`), parsed before the next read: no
// allocation and no stream machinery per read (ADR 0120). Nothing may keep a slice of it past the read;
// client-response.ts copies what it cannot write at once.
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/**
 * A keep-alive TCP connection to an upstream, parsed by one llhttp parser for its whole life. Its
 * listeners are installed once; each exchange only swaps the handler they call (no per-request listeners).
 */
export class UpstreamConnection {
  readonly socket: Socket;
  /** True once it has served an exchange: a failure then may be a close that raced our write. */
  reused = false;
  /** False until the upstream accepted the TCP connection: a failure before that sent the app nothing. */
  connected = false;
  #handler: ExchangeHandler | null = null;
  readonly #parser: ResponseParser;

  constructor(
    readonly pool: UpstreamPool,
    readonly key: string,
    address: UpstreamAddress,
    connectTimeoutMs: number,
  ) {
    const socket = connect({
      host: address.hostname,
      port: address.port,
      noDelay: true,
      onread: { buffer: READ_BUFFER, callback: (n) => this.#onRead(READ_BUFFER.subarray(0, n)) },
    });
    this.socket = socket;
    // Upstream connections never keep the process alive, idle or not (as with http.Agent's idle ones):
    // an exchange in flight has its client's socket, which does. No ref()/unref() per request.
    socket.unref();
    this.#parser = new ResponseParser(
      {
        onHead: (status, message, headers, keepAlive) => {
          if (this.#handler !== null) return this.#handler.onHead(status, message, headers, keepAlive);
          // A response nobody asked for: the connection is out of step with its requests.
          socket.destroy();
          return 1;
        },
        onBody: (chunk) => this.#handler?.onBody(chunk),
        onComplete: () => this.#handler?.onComplete(),
      },
      0,
    );
    // node:http has no connect timeout of its own: time only the TCP connect.
    const timer = setTimeout(() => {
      const ms = connectTimeoutMs;
      this.#fail(
        new UnavailableError(
          "UPSTREAM_CONNECT_TIMEOUT",
          `upstream did not accept the connection in ${ms} ms`,
        ),
      );
    }, connectTimeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      this.connected = true;
      socket.setKeepAlive(true, 1000);
      this.#handler?.onConnect();
    });
    socket.on("end", () => this.#fail(this.#parser.finish() ?? hangUp()));
    socket.on("error", (err) => this.#fail(err));
    socket.on("close", () => {
      clearTimeout(timer);
      this.#fail(hangUp());
      pool.forget(this);
      this.#parser.close();
    });
    socket.on("drain", () => this.#handler?.onDrain());
  }

  /** Returns true to keep reading (false would pause; backpressure pauses the socket itself). */
  #onRead(data: Buffer): boolean {
    const handler = this.#handler;
    // Bytes on an idle connection are not a response to anything: the connection is unusable.
    const err = handler === null ? hangUp() : this.#parser.execute(data);
    if (err !== undefined) this.#fail(err);
    else handler?.onParsed();
    return true;
  }

  /** Hands the connection to an exchange. */
  attach(handler: ExchangeHandler): void {
    this.#handler = handler;
  }

  /** The exchange is over; the connection goes back to the pool, or is closed when it cannot be reused. */
  detach(reusable: boolean): void {
    this.#handler = null;
    if (!reusable || this.socket.destroyed) {
      this.socket.destroy();
      return;
    }
    // Paused for a slow client while the rest of the body was already parsed: the next exchange must read.
    if (this.socket.isPaused()) this.socket.resume();
    this.pool.release(this);
  }

  #fail(err: Error): void {
    const handler = this.#handler;
    this.#handler = null;
    // Out of the pool now: 'close' comes a tick later, and nothing may take the connection in between.
    this.pool.forget(this);
    this.socket.destroy();
    // After `end`, finish() may have completed a close-delimited body, which detached the handler.
    handler?.onFail(err);
  }
}

// Routes hand out one address object per upstream URL (upstream.ts caches them): its key is built once,
// not as a new string to hash on every request.
const keys = new WeakMap<UpstreamAddress, string>();
function keyOf(address: UpstreamAddress): string {
  let key = keys.get(address);
  if (key === undefined) {
    key = `${address.hostname}:${address.port}`;
    keys.set(address, key);
  }
  return key;
}

/** Idle keep-alive connections per upstream address, reused last-in first-out. */
export class UpstreamPool {
  readonly #free = new Map<string, UpstreamConnection[]>();
  readonly #all = new Set<UpstreamConnection>();

  constructor(private readonly connectTimeoutMs: number) {}

  /** An idle connection to the address, or a new one (its writes are queued until it connects). */
  acquire(address: UpstreamAddress): UpstreamConnection {
    const key = keyOf(address);
    const idle = this.#free.get(key)?.pop();
    if (idle !== undefined) return idle;
    const fresh = new UpstreamConnection(this, key, address, this.connectTimeoutMs);
    this.#all.add(fresh);
    return fresh;
  }

  release(conn: UpstreamConnection): void {
    conn.reused = true;
    let list = this.#free.get(conn.key);
    if (list === undefined) {
      list = [];
      this.#free.set(conn.key, list);
    }
    if (list.length >= MAX_FREE) {
      conn.socket.destroy();
      return;
    }
    list.push(conn);
  }

  /** The connection closed: it must never be handed out again. */
  forget(conn: UpstreamConnection): void {
    this.#all.delete(conn);
    const list = this.#free.get(conn.key);
    const i = list?.indexOf(conn) ?? -1;
    if (list !== undefined && i >= 0) list.splice(i, 1);
    if (list?.length === 0) this.#free.delete(conn.key);
  }

  destroy(): void {
    for (const conn of this.#all) conn.socket.destroy();
  }
}
