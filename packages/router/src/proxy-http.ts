import { UnavailableError } from "@kli8nt/core";
import type { ClientResponse, ResponseObserver } from "./client-response.ts";
import { cookieHost } from "./cookie-scope.ts";
import { clientResponseFields, isReplayable, upstreamRequestHead } from "./headers.ts";
import { reasonPhrase, renderPage, type StatusPage } from "./pages.ts";
import type { BodySink, ProxyRequest } from "./proxy-request.ts";
import { upstreamFailedPage } from "./status-pages.ts";
import type { ProxyContext } from "./types.ts";
import { failureCode, isStaleSocketError, type UpstreamAddress } from "./upstream.ts";
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
  attempt: Attempt,
) => boolean;

/**
 * Called when the upstream never accepted the connection, so the app got nothing and the request (body
 * included) is still whole; returns true when it sent the request to another upstream (ADR 0170).
 */
export type Failover = (
  req: ProxyRequest,
  res: ClientResponse,
  failed: UpstreamAddress,
  attempt: Attempt,
) => boolean;

/** What a request may still do when its upstream fails, counted down over its attempts. */
export interface Attempt {
  readonly retry: Retry | undefined;
  readonly failover: Failover | undefined;
  /** Replays left under the rule of resolve-request.ts's mayReplay. */
  readonly replaysLeft: number;
  /** Other upstreams it was already sent to after a refused connection. */
  readonly hops: number;
}

const NO_FALLBACK: Attempt = { retry: undefined, failover: undefined, replaysLeft: 0, hops: 0 };

/** Streams one request to the upstream and its response back, without buffering either body. */
export function proxyHttp(
  ctx: ProxyContext,
  req: ProxyRequest,
  res: ClientResponse,
  upstream: UpstreamAddress,
  app: string,
  attempt: Attempt = NO_FALLBACK,
): void {
  new Exchange(ctx, req, res, ctx.pool.acquire(upstream), { upstream, app, attempt }).start();
}

interface Target {
  readonly upstream: UpstreamAddress;
  readonly app: string;
  readonly attempt: Attempt;
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
  /** The body waits for the new connection to be accepted, so that a refusal leaves it whole. */
  #bodyWaiting = false;

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
    if (conn.connected) {
      req.body.attach(this);
      return;
    }
    this.#bodyWaiting = true;
    req.body.pause();
  }

  onConnect(): void {
    if (!this.#bodyWaiting || this.#over) return;
    this.#bodyWaiting = false;
    this.req.body.resume();
    this.req.body.attach(this);
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
    const cookies = { host: cookieHost(this.req.headers.host), appsDomain: this.ctx.appsDomain };
    this.res.writeHead(status, message, clientResponseFields(headers, cookies));
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
    const { req, res, target } = this;
    // An upstream that dies mid-body must cut the client's response, not leave it hanging as complete.
    if (res.headersSent || res.destroyed) {
      this.#cleanup();
      res.destroy();
      return;
    }
    this.#markDown(err);
    if (!this.conn.connected && this.#failover()) return;
    this.#cleanup();
    const { attempt } = target;
    if (
      isReplayable(req) &&
      attempt.retry?.(req, res, target.upstream, err, this.conn.reused, attempt) === true
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

  /**
   * A failure that says the upstream is going away marks it down, so that its app's other replicas take the
   * next requests (as nginx's max_fails=1 does). Not a keep-alive socket the upstream closed as we wrote
   * (normal, it is healthy), nor a slow answer (one slow request says little about the next).
   */
  #markDown(err: Error): void {
    if (this.conn.reused && isStaleSocketError(err)) return;
    if (failureCode(err) === "UPSTREAM_RESPONSE_TIMEOUT") return;
    this.ctx.health.markDown(this.target.upstream);
  }

  /** Hands the untouched request (its body not yet read) to the next upstream, if there is one. */
  #failover(): boolean {
    const { req, res, target } = this;
    if (target.attempt.failover === undefined) return false;
    this.#deadline = 0;
    if (res.observer === this) res.observer = null;
    if (this.#bodyWaiting) {
      this.#bodyWaiting = false;
      req.body.resume();
    }
    return target.attempt.failover(req, res, target.upstream, target.attempt);
  }

  #cleanup(): void {
    this.#deadline = 0;
    if (this.res.observer === this) this.res.observer = null;
    if (!this.#requestSent) this.req.body.release();
  }
}
