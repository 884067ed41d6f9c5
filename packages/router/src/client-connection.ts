import type { Socket } from "node:net";
import { ClientResponse, type ResponseOwner } from "./client-response.ts";
import { hasUnframedBody } from "./headers.ts";
import { rawResponse } from "./pages.ts";
import { type EdgeFacts, edgeFacts, ProxyRequest } from "./proxy-request.ts";
import { type RequestHead, RequestParser } from "./request-parser.ts";
import { clientErrorPage } from "./status-pages.ts";
import type { SweepClock } from "./sweep-clock.ts";

/** What the router does with each request a connection reads. */
export interface ConnectionHandlers {
  request(req: ProxyRequest, res: ClientResponse): void;
  /** The socket is the handler's from now on; `head` is what the client sent after the request head. */
  upgrade(req: ProxyRequest, socket: Socket, head: Buffer): void;
}

export interface ConnectionOptions {
  readonly maxHeaderSize: number;
  /** How long a request head may take to arrive (slowloris); answered with 408. */
  readonly headersTimeoutMs: number;
  /** How long a keep-alive connection may sit idle between requests. */
  readonly keepAliveTimeoutMs: number;
  /**
   * How long a request body may go without a byte while the router wants it (slow-loris bodies); answered
   * with 408 unless the app already answered. Time the router itself holds the body back does not count.
   */
  readonly bodyTimeoutMs: number;
  /** The router's sweep clock: the deadlines are checked by its sweep (sweep-clock.ts). */
  readonly clock: SweepClock;
}

/** A request read from the connection, waiting for its turn or being answered (the queue's first). */
type Turn =
  | { readonly kind: "http"; readonly req: ProxyRequest; readonly res: ClientResponse }
  | { readonly kind: "upgrade"; readonly req: ProxyRequest; head: Buffer | undefined }
  | { readonly kind: "error"; readonly status: 400 | 408 | 431 };

const CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n";

/**
 * One client connection of the router (ADR 0120): llhttp parses its requests, each is answered in order
 * (pipelined ones wait their turn with their bodies held, and reading stops meanwhile), and the
 * connection closes when HTTP says so. This is the part of node:http's server the router used, without
 * its per-request IncomingMessage and ServerResponse streams.
 */
export class ClientConnection implements ResponseOwner {
  readonly #parser: RequestParser;
  readonly #edge: EdgeFacts;
  readonly #queue: Turn[] = [];
  /** The request whose body the parser is reading. */
  #reading: ProxyRequest | null = null;
  #closing = false;
  #handedOver = false;
  /** Reading stopped with the socket paused: the bytes after an upgrade head wait for the upgrade. */
  #held = false;
  #bodyPaused = false;
  #deadline = 0;
  #deadlineKind: "head" | "idle" | "body" = "head";

  constructor(
    readonly socket: Socket,
    private readonly handlers: ConnectionHandlers,
    private readonly options: ConnectionOptions,
    private readonly forget: (c: ClientConnection) => void,
  ) {
    this.#parser = new RequestParser(
      {
        onHead: (head) => this.#onHead(head),
        onBody: (chunk) => {
          // A field write per chunk: the sweep compares it (sweep-clock.ts), no timer is touched.
          this.#deadline = options.clock.deadline(options.bodyTimeoutMs);
          this.#reading?.body.push(chunk);
        },
        onComplete: () => {
          this.#reading?.body.end();
          this.#reading = null;
          // A body that outlasted its response: the idle time starts now, not at the response's end.
          if (this.#queue.length === 0) this.#arm("idle", options.keepAliveTimeoutMs);
          else if (this.#deadlineKind === "body") this.#deadline = 0;
        },
      },
      options.maxHeaderSize,
    );
    this.#edge = edgeFacts(socket);
    this.#arm("head", options.headersTimeoutMs);
    socket.on("data", this.#onData);
    socket.on("end", this.#onEnd);
    socket.on("drain", this.#onDrain);
    socket.on("error", () => socket.destroy());
    socket.on("close", this.#onClose);
  }

  /** No more requests are read, and nothing waits behind this response. */
  isLast(response: ClientResponse): boolean {
    const turn = this.#queue[0];
    return this.#closing && this.#queue.length === 1 && turn?.kind === "http" && turn.res === response;
  }

  /** No request is being answered or waiting. */
  get idle(): boolean {
    return this.#queue.length === 0 && !this.#handedOver;
  }

  /**
   * Called by the router's sweep: closes a connection whose head or idle time ran out, and lets the
   * exchange answering the current request check its own deadline.
   */
  sweep(now: number): void {
    const turn = this.#queue[0];
    if (turn?.kind === "http") turn.res.observer?.onSweep(now);
    if (this.#deadline === 0 || now < this.#deadline || this.#handedOver) return;
    this.#deadline = 0;
    if (this.#deadlineKind === "body") this.#bodyTimedOut();
    else if (this.#deadlineKind === "idle" || this.#queue.length > 0) this.socket.destroy();
    else this.#fail(408);
  }

  /** The router is closing: finish what was read, read nothing more, close. */
  shutdown(): void {
    this.#closing = true;
    // Nothing in flight: close at once, as node:http's closeIdleConnections() does.
    if (this.idle) this.socket.destroy();
  }

  readonly #onData = (data: Buffer): void => {
    // Bytes on an idle connection start a request: its head has headersTimeoutMs from now.
    if (this.#deadlineKind === "idle" && this.#queue.length === 0 && this.#reading === null) {
      this.#arm("head", this.options.headersTimeoutMs);
    }
    const parsed = this.#parser.execute(data);
    if (parsed instanceof Error) {
      const code = (parsed as NodeJS.ErrnoException).code;
      this.#fail(code === "HPE_HEADER_OVERFLOW" ? 431 : 400);
      return;
    }
    const upgrade = this.#queue.at(-1);
    if (upgrade?.kind === "upgrade" && upgrade.head === undefined) {
      // The rest of the read belongs to the upgraded protocol; the socket is the upgrade's once its turn comes.
      upgrade.head = data.subarray(parsed);
      this.#closing = true;
      this.#held = true;
      this.socket.off("data", this.#onData);
      this.socket.pause();
      if (this.#queue[0] === upgrade) this.#start(upgrade);
    }
  };

  #onHead(head: RequestHead): 0 | 2 | -1 {
    this.#deadline = 0;
    if (this.#closing) return 0;
    const req = new ProxyRequest(head, this.socket, this.#edge, this);
    // A body whose end cannot be found: the parser fails, which answers 400 and closes the connection.
    if (hasUnframedBody(req)) return -1;
    if (head.upgrade) {
      this.#queue.push({ kind: "upgrade", req, head: undefined });
      return 2;
    }
    // After a request that says "close", nothing more is read from the connection.
    if (!head.keepAlive) this.#closing = true;
    const turn: Turn = { kind: "http", req, res: new ClientResponse(this, req) };
    this.#reading = req;
    this.#arm("body", this.options.bodyTimeoutMs);
    this.#queue.push(turn);
    if (this.#queue.length === 1) this.#start(turn);
    else this.#flow();
    return 0;
  }

  #start(turn: Turn): void {
    this.#flow();
    if (turn.kind === "error") {
      this.#closing = true;
      this.#stopReading();
      if (this.socket.writable) this.socket.end(rawResponse(clientErrorPage(turn.status), undefined));
      else this.socket.destroy();
      this.#arm("idle", this.options.keepAliveTimeoutMs);
      return;
    }
    if (turn.kind === "upgrade") {
      if (turn.head === undefined) return;
      this.#handedOver = true;
      this.#deadline = 0;
      this.#detach();
      this.handlers.upgrade(turn.req, this.socket, turn.head);
      return;
    }
    const expect = turn.req.headers.expect;
    if (expect !== undefined && expect.toLowerCase() === "100-continue" && turn.req.httpVersionMinor >= 1) {
      this.socket.write(CONTINUE, "latin1");
    }
    this.handlers.request(turn.req, turn.res);
  }

  responseDone(response: ClientResponse, close: boolean): void {
    const turn = this.#queue[0];
    if (turn?.kind !== "http" || turn.res !== response) return;
    this.#queue.shift();
    turn.req.body.release();
    if (close || (this.#closing && this.#queue.length === 0)) {
      this.#stopReading();
      this.socket.end();
      // A client that never closes its side is cut by the sweep.
      this.#arm("idle", this.options.keepAliveTimeoutMs);
      return;
    }
    const next = this.#queue[0];
    if (next !== undefined) this.#start(next);
    else {
      // Still reading the body of the request just answered: no idle time yet (onComplete starts it).
      if (this.#reading === null) this.#arm("idle", this.options.keepAliveTimeoutMs);
      this.#flow();
    }
  }

  pauseBody(): void {
    this.#bodyPaused = true;
    this.#flow();
  }

  resumeBody(): void {
    if (!this.#bodyPaused) return;
    this.#bodyPaused = false;
    this.#flow();
  }

  /** Reads while the answered request's body is wanted and nothing waits behind it. */
  #flow(): void {
    if (this.#handedOver || this.#held) return;
    const paused = this.#bodyPaused || this.#queue.length > 1;
    if (paused) this.socket.pause();
    else this.socket.resume();
    // The body deadline runs only while the router reads: a client is not slow while it is held back.
    if (this.#reading !== null && this.#deadlineKind === "body") {
      this.#deadline = paused ? 0 : this.options.clock.deadline(this.options.bodyTimeoutMs);
    }
  }

  /**
   * A request body stalled: 408 if the app has not answered yet (the page goes out before the upstream
   * exchange is dropped, so nothing else is written after it), else the connection is cut.
   */
  #bodyTimedOut(): void {
    const reading = this.#reading;
    const turn = this.#queue[0];
    const answered = turn?.kind === "http" && turn.req === reading && turn.res.headersSent;
    this.#stopReading();
    this.#reading = null;
    if (!answered && this.socket.writable) {
      this.socket.end(rawResponse(clientErrorPage(408), reading?.headers.accept));
    } else {
      this.socket.destroy();
    }
    reading?.body.abort();
    this.#arm("idle", this.options.keepAliveTimeoutMs);
  }

  /** A request the parser cannot read: answered in its turn with a page, then the connection closes. */
  #fail(status: 400 | 408 | 431): void {
    this.#stopReading();
    this.#reading?.body.abort();
    this.#reading = null;
    const turn: Turn = { kind: "error", status };
    this.#queue.push(turn);
    if (this.#queue.length === 1) this.#start(turn);
  }

  #arm(kind: "head" | "idle" | "body", ms: number): void {
    this.#deadlineKind = kind;
    this.#deadline = this.options.clock.deadline(ms);
  }

  /** Whatever the client sends from now on is read (so its close is seen) and dropped. */
  #stopReading(): void {
    this.#closing = true;
    this.socket.off("data", this.#onData);
  }

  /** Hands the socket over: the connection lets go of it, except to be forgotten when it closes. */
  #detach(): void {
    this.socket.pause();
    this.socket.off("data", this.#onData);
    this.socket.off("end", this.#onEnd);
    this.socket.off("drain", this.#onDrain);
    this.#parser.close();
  }

  readonly #onEnd = (): void => {
    // The client half-closed: a body it had not finished is cut; what was read is still answered.
    this.#reading?.body.abort();
    this.#reading = null;
    this.#closing = true;
    if (this.#queue.length === 0) this.socket.end();
  };

  readonly #onDrain = (): void => {
    const turn = this.#queue[0];
    if (turn?.kind === "http") turn.res.observer?.onClientDrain();
  };

  readonly #onClose = (): void => {
    this.forget(this);
    if (this.#handedOver) return;
    const turns = this.#queue.splice(0);
    this.#reading?.body.abort();
    this.#reading = null;
    for (const turn of turns) {
      if (turn.kind !== "http") continue;
      turn.req.body.abort();
      if (!turn.res.finished) turn.res.observer?.onClose();
    }
    this.#parser.close();
  };
}
