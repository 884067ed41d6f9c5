import { type ChildProcess, spawn } from "node:child_process";
import {
  type Agent,
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from "node:http";
import { type AddressInfo, connect, type Socket } from "node:net";

/** Test helpers: real upstream servers and a raw HTTP client that can set any Host header. */

export interface Upstream {
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  /** Requests served so far. */
  readonly hits: () => number;
  close(): Promise<void>;
}

export async function startUpstream(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<Upstream> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits += 1;
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    hits: () => hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** An upstream that answers with what it received, as JSON, tagged with its name. */
export function startEchoUpstream(name: string): Promise<Upstream> {
  return startUpstream((req, res) => {
    const body = JSON.stringify({
      name,
      method: req.method,
      url: req.url,
      headers: req.headers,
      raw: req.rawHeaders,
    });
    req.resume();
    res.writeHead(200, { "content-type": "application/json" });
    res.end(body);
  });
}

export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface Send {
  readonly port: number;
  readonly host?: string;
  readonly path?: string;
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly agent?: Agent;
}

/** One HTTP request to the router with an explicit Host header (fetch does not allow setting Host). */
export function send(opts: Send): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: opts.port,
        method: opts.method ?? "GET",
        path: opts.path ?? "/",
        headers: { ...(opts.host === undefined ? {} : { host: opts.host }), ...opts.headers },
        ...(opts.agent === undefined ? {} : { agent: opts.agent }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(opts.body);
  });
}

/**
 * Writes raw bytes to the router and returns everything it answers until it closes the connection (send
 * `Connection: close` when the request itself is valid HTTP). The write side stays open: node:http drops a
 * connection whose client half-closes before the answer, as many servers do.
 */
export function sendRaw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(chunks).toString()));
    socket.write(bytes);
  });
}

/**
 * An address that accepts no TCP connection and refuses none either: a stopped process listening with a
 * tiny backlog whose queue is already full, so new SYNs are dropped and connects hang.
 */
export async function startBlackhole(): Promise<{ port: number; close(): void }> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      "-e",
      "require('net').createServer().listen({port:0,host:'127.0.0.1',backlog:1},function(){console.log(this.address().port)})",
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.once("data", (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once("error", reject);
  });
  child.kill("SIGSTOP");
  // Fill the accept queue (Node passes backlog 0 as the default 511, hence 1): the first connections
  // complete in the kernel, the later ones hang.
  const fillers: Socket[] = [];
  for (let i = 0; i < 4; i += 1) {
    const filler = connect(port, "127.0.0.1");
    filler.on("error", () => filler.destroy());
    fillers.push(filler);
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
  return {
    port,
    close: () => {
      for (const filler of fillers) filler.destroy();
      child.kill("SIGKILL");
    },
  };
}
