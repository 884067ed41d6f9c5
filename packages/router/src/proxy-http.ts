import { UnavailableError } from "@kli8nt/core";
import type { ClientResponse, ResponseObserver } from "./client-response.ts";
import { clientResponseFields, isReplayable, upstreamRequestHead } from "./headers.ts";
import { reasonPhrase, renderPage, type StatusPage } from "./pages.ts";
import type { BodySink, ProxyRequest } from "./proxy-request.ts";
import { upstreamFailedPage } from "./status-pages.ts";
import type { ProxyContext } from "./types.ts";
import { failureCode, type UpstreamAddress } from "./upstream.ts";
import type { ExchangeHandler, UpstreamConnection } from "./upstream-pool.ts";

/** Writes a router page unless the response has already started. */
export function sendPage(req: ProxyRequest, res: ClientResponse, page: StatusPage): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const rendered = renderPage(page, req.headers.accept);
  let text = "";
  for (const [name, value] of Object.entries(rendered.headers)) text += `${name}: ${value}\r\n`;
  res.writeHead(rendered.status, reasonPhrase(rendered.status), { text, hasLength: true });
  res.end(Buffer.from(rendered.body));
}

/**
 * Called when an idempotent bodyless request failed before any response; returns true when it took the
 * request over (to replay it), false to let the 502 page go out.
 */
export type Retry = (
  req: ProxyRequest,
  res: ClientResponse,
  failed: UpstreamAddress,
  err: Error,
  reusedSocket: boolean,
  retriesLeft: number,
) => boolean;

/** Streams one request to the upstream and its response back, without buffering either body. */
export function proxyHttp(
  ctx: ProxyContext,
  req: ProxyRequest,
  res: ClientResponse,
  upstream: UpstreamAddress,
  app: string,
  retry?: Retry,
  retriesLeft = 0,
): void {
  new Exchange(ctx, req, res, ctx.pool.acquire(upstream), { upstream, app, retry, retriesLeft }).start();
}

interface Target {
  readonly upstream: UpstreamAddress;
  readonly app: string;
  readonly retry: Retry | undefined;
  readonly retriesLeft: number;
}

const CRLF = Buffer.from("\r\n");
const LAST_CHUNK = Buffer.from("0\r\n\r\n");

/** One request and its response over one upstream connection; the connection calls it back. */
class Exchange implements ExchangeHandler, BodySink, ResponseObserver {
  #over = false;
  #interim = false;
  #requestSent = false;
  #keepAlive = false;
  /** When the upstream must have started answering (sweep-clock.ts); 0 when it is not waited on. */
  #deadline = 0;
  #chunked = false;
  #held: Buffer | undefined;
  #upstreamPaused = false;

  constructor(
    private readonly ctx: ProxyContext,
    private readonly req: ProxyRequest,
    private readonly res: ClientResponse,
    private readonly conn: UpstreamConnection,
    private readonly target: Target,
  ) {}

  start(): void {
    const { req, res, conn } = this;
    conn.attach(this);
    const head = upstreamRequestHead(req);
    this.#chunked = head.chunked;
    // The client going away before the response finished stops the upstream work too (onClose).
    res.observer = this;
    conn.socket.write(head.text, "latin1");
    if (head.bodyless) {
      this.#sent();
      return;
    }
    req.body.attach(this);
  }

  onClose(): void {
    this.#end(false);
  }

  onAbort(): void {
    this.#end(false);
  }

  onData(chunk: Buffer): void {
    const socket = this.conn.socket;
    let flushed: boolean;
    if (this.#chunked) {
      socket.cork();
      socket.write(`${chunk.length.toString(16)}\r\n`, "latin1");
      socket.write(chunk);
      flushed = socket.write(CRLF);
      socket.uncork();
    } else {
      flushed = socket.write(chunk);
    }
    if (!flushed) this.req.body.pause();
  }

  onEnd(): void {
    if (this.#chunked) this.conn.socket.write(LAST_CHUNK);
    this.#sent();
  }

  /** The upstream socket took the request bytes. */
  onDrain(): void {
    if (!this.#requestSent) this.req.body.resume();
  }

  /** The whole request is with the upstream: from now on it has `responseTimeoutMs` to start answering. */
  #sent(): void {
    this.#requestSent = true;
    if (this.res.headersSent || this.#over) return;
    this.#deadline = this.ctx.clock.deadline(this.ctx.responseTimeoutMs);
  }

  onSweep(now: number): void {
    if (this.#deadline === 0 || now < this.#deadline) return;
    this.#deadline = 0;
    const ms = this.ctx.responseTimeoutMs;
    this.#fail(new UnavailableError("UPSTREAM_RESPONSE_TIMEOUT", `upstream did not answer in ${ms} ms`));
  }

  onHead(status: number, message: string, headers: string[], keepAlive: boolean): 0 | 1 {
    // 1xx interim responses (100 Continue, 103 Early Hints) are not relayed; the final one follows.
    if (status < 200) {
      if (status === 101) this.#fail(new Error("upstream switched protocols on a plain request"));
      this.#interim = true;
      return 1;
    }
    this.#deadline = 0;
    this.#keepAlive = keepAlive;
    // llhttp has validated the reason phrase and every field: they are relayed as read.
    this.res.writeHead(status, message, clientResponseFields(headers));
    return this.req.method === "HEAD" ? 1 : 0;
  }

  // The last body chunk of one read is held until the read is parsed: when the response ends in the same
  // read (small bodies), head, body and end leave in one res.end() call instead of write() then end().
  onBody(chunk: Buffer): void {
    if (this.#held !== undefined) this.#write(this.#held);
    this.#held = chunk;
  }

  onParsed(): void {
    const held = this.#held;
    if (held === undefined || this.#over) return;
    this.#held = undefined;
    this.#write(held);
  }

  #write(chunk: Buffer): void {
    if (this.res.write(chunk)) return;
    this.#upstreamPaused = true;
    this.conn.socket.pause();
  }

  /** The client socket drained: the upstream may be read again. */
  onClientDrain(): void {
    if (!this.#upstreamPaused) return;
    this.#upstreamPaused = false;
    // The connection may serve another exchange by now; only this one's pause is undone.
    if (!this.#over) this.conn.socket.resume();
  }

  onComplete(): void {
    if (this.#interim) {
      this.#interim = false;
      return;
    }
    const held = this.#held;
    this.#held = undefined;
    this.res.end(held);
    this.#end(this.#keepAlive && this.#requestSent);
  }

  onFail(err: Error): void {
    if (this.#over) return;
    this.#over = true;
    this.#cleanup();
    const { req, res, target } = this;
    // An upstream that dies mid-body must cut the client's response, not leave it hanging as complete.
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    if (
      isReplayable(req) &&
      target.retry?.(req, res, target.upstream, err, this.conn.reused, target.retriesLeft) === true
    )
      return;
    const code = failureCode(err);
    this.ctx.logger.warn(
      { app: target.app, upstream: target.upstream, code, err },
      "Failed to reach upstream",
    );
    sendPage(req, res, upstreamFailedPage(target.app, code));
  }

  /** Fails the exchange from our side (timeout, bad response): the connection cannot be trusted again. */
  #fail(err: Error): void {
    this.conn.detach(false);
    this.onFail(err);
  }

  #end(reusable: boolean): void {
    if (this.#over) return;
    this.#over = true;
    this.#cleanup();
    this.conn.detach(reusable);
  }

  #cleanup(): void {
    this.#deadline = 0;
    if (this.res.observer === this) this.res.observer = null;
    if (!this.#requestSent) this.req.body.release();
  }
}
