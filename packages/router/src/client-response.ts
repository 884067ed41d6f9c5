import type { Socket } from "node:net";
import type { FieldsText } from "./headers.ts";
import type { ProxyRequest } from "./proxy-request.ts";
import type { RequestMetrics } from "./request-metrics.ts";

/** What the exchange writing a response hears from the client side. */
export interface ResponseObserver {
  /** The client took the bytes that filled its socket: writing may go on. */
  onClientDrain(): void;
  /** The client connection closed before the response was complete. */
  onClose(): void;
  /** The router's sweep (sweep-clock.ts): a deadline due by `now` fires. */
  onSweep(now: number): void;
}

/** The client connection's side of a response: told when it is complete, and whether to close after it. */
export interface ResponseOwner {
  readonly socket: Socket;
  /** True when this is the connection's last response (router closing, client half-closed). */
  isLast(response: ClientResponse): boolean;
  responseDone(response: ClientResponse, close: boolean): void;
}

const LAST_CHUNK = "0\r\n\r\n";
// A final chunk up to this size leaves with the head in one latin1 string, one write, one syscall.
const JOIN_LIMIT = 16 * 1024;

/**
 * One response on the client connection, written as raw HTTP/1.1 (ADR 0120). It frames the body as
 * node:http's ServerResponse would: the upstream's Content-Length is kept, a body without one is chunked
 * for HTTP/1.1 clients and close-delimited for HTTP/1.0, and HEAD, 1xx, 204 and 304 carry none. The head
 * waits for the first body bytes so that a small response leaves in one write. Chunks passed in may be
 * reused by the caller once the call returns (the upstream side reads into one shared buffer): they are
 * copied when they must outlive it.
 */
export class ClientResponse {
  /** Set by the exchange that writes this response. */
  observer: ResponseObserver | null = null;
  /** Set when the router counts requests (request-metrics.ts): counted at end() when `app` is set too. */
  metrics: RequestMetrics | null = null;
  /** The app this response answers for, once the route is known. */
  app: string | null = null;
  /** When the router took the request up, on the metrics' clock. */
  startedAt = 0;
  #status = 0;
  #headersSent = false;
  #finished = false;
  #head: string | undefined;
  #chunked = false;
  #hasBody = true;
  #close = false;

  constructor(
    private readonly owner: ResponseOwner,
    private readonly req: ProxyRequest,
  ) {}

  /** True once writeHead was called: from then on only this response can go out. */
  get headersSent(): boolean {
    return this.#headersSent;
  }

  get finished(): boolean {
    return this.#finished;
  }

  get destroyed(): boolean {
    return this.owner.socket.destroyed;
  }

  /** `fields` are end-to-end field lines; framing and Connection are the router's own. */
  writeHead(status: number, message: string, fields: FieldsText): void {
    const req = this.req;
    this.#status = status;
    this.#hasBody = req.method !== "HEAD" && status >= 200 && status !== 204 && status !== 304;
    this.#head = `HTTP/1.1 ${status} ${message}\r\n${fields.text}${this.#framing(fields.hasLength)}\r\n`;
    this.#headersSent = true;
  }

  /** The router's own framing and Connection fields, and whether the connection closes after this. */
  #framing(hasLength: boolean): string {
    const http10 = this.req.httpVersionMinor === 0;
    let close = !this.req.keepAlive || this.owner.isLast(this);
    let text = "";
    if (this.#hasBody && !hasLength) {
      // HTTP/1.0 has no chunked coding: the end of the body is the end of the connection.
      if (http10) close = true;
      else {
        this.#chunked = true;
        text += "transfer-encoding: chunked\r\n";
      }
    }
    this.#close = close;
    if (close) return `${text}connection: close\r\n`;
    return http10 ? `${text}connection: keep-alive\r\n` : text;
  }

  /** Writes body bytes; false when the client's socket is full (wait for the observer's onClientDrain). */
  write(chunk: Buffer): boolean {
    if (this.#finished) return true;
    return this.#send(chunk);
  }

  #send(chunk: Buffer): boolean {
    const socket = this.owner.socket;
    if (!this.#hasBody || socket.destroyed) return true;
    const head = this.#head;
    this.#head = undefined;
    if (chunk.length === 0) return head === undefined ? true : socket.write(head, "latin1");
    socket.cork();
    if (head !== undefined) socket.write(head, "latin1");
    if (this.#chunked) socket.write(`${chunk.length.toString(16)}\r\n`, "latin1");
    let flushed = socket.write(Buffer.from(chunk));
    if (this.#chunked) flushed = socket.write("\r\n", "latin1");
    socket.uncork();
    return flushed;
  }

  /** Ends the response, with its last body bytes if any. */
  end(chunk?: Buffer): void {
    if (this.#finished) return;
    this.#finished = true;
    if (!this.owner.socket.destroyed) {
      const body = this.#hasBody && chunk !== undefined && chunk.length > 0 ? chunk : undefined;
      const text = this.#tail(body);
      if (text !== "") this.owner.socket.write(text, "latin1");
    }
    if (this.metrics !== null && this.app !== null)
      this.metrics.record(this.app, this.#status, this.startedAt);
    this.owner.responseDone(this, this.#close);
  }

  /** What is left to write after the last body bytes: as one string with them when they are small. */
  #tail(body: Buffer | undefined): string {
    if (body !== undefined && body.length > JOIN_LIMIT) {
      // A big last chunk goes on its own (with the head if still pending) instead of into a string.
      this.#send(body);
      return this.#chunked ? LAST_CHUNK : "";
    }
    let text = this.#head ?? "";
    this.#head = undefined;
    if (body !== undefined) {
      const bytes = body.toString("latin1");
      text += this.#chunked ? `${body.length.toString(16)}\r\n${bytes}\r\n` : bytes;
    }
    return this.#chunked ? text + LAST_CHUNK : text;
  }

  /** Cuts the client connection: a response that cannot be completed must not look complete. */
  destroy(): void {
    this.owner.socket.destroy();
  }
}
