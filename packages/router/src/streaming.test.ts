import { createHash } from "node:crypto";
import { type IncomingMessage, request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRouter, type Router } from "./create-router.ts";
import { MemoryRouteTable } from "./memory-route-table.ts";
import { startUpstream, type Upstream } from "./testing.ts";

const CHUNK = Buffer.alloc(64 * 1024, "k");
const CHUNKS = 1024; // 64 MiB each way

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_r, reject) =>
      setTimeout(() => reject(new Error(`${what} did not happen in ${ms} ms`)), ms),
    ),
  ]);
}

function expectedDigest(): string {
  const hash = createHash("sha256");
  for (let i = 0; i < CHUNKS; i += 1) hash.update(CHUNK);
  return hash.digest("hex");
}

describe("router: streamed bodies, no buffering", () => {
  const table = new MemoryRouteTable();
  let router: Router;
  let upstream: Upstream;
  const firstUploadChunk = deferred();
  const firstDownloadChunk = deferred();
  const downloadAborted = deferred();

  beforeAll(async () => {
    upstream = await startUpstream((req, res) => {
      if (req.url === "/upload") {
        const hash = createHash("sha256");
        let bytes = 0;
        req.on("data", (c: Buffer) => {
          if (bytes === 0) firstUploadChunk.resolve();
          bytes += c.length;
          hash.update(c);
        });
        req.on("end", () => res.end(JSON.stringify({ bytes, sha256: hash.digest("hex") })));
      } else if (req.url === "/download") {
        res.writeHead(200, { "content-type": "application/octet-stream" });
        res.write(CHUNK);
        // The rest only once the client has the first chunk: a buffering proxy would never deliver it.
        void firstDownloadChunk.promise.then(async () => {
          for (let i = 1; i < CHUNKS; i += 1) {
            if (!res.write(CHUNK)) await new Promise((r) => res.once("drain", r));
          }
          res.end();
        });
      } else if (req.url === "/dies") {
        res.writeHead(200, { "content-length": String(CHUNK.length * 4) });
        res.write(CHUNK);
        setTimeout(() => res.socket?.destroy(), 50);
      } else if (req.url === "/endless") {
        res.on("close", () => downloadAborted.resolve());
        const timer = setInterval(() => res.write(CHUNK), 5);
        res.on("close", () => clearInterval(timer));
      }
    });
    table.set("files", { kind: "upstream", url: upstream.url });
    router = await createRouter({ port: 0, table });
  });

  afterAll(async () => {
    await router.close();
    await upstream.close();
  });

  const call = (method: string, path: string): ReturnType<typeof request> =>
    request({ host: "127.0.0.1", port: router.port, method, path, headers: { host: "files.localhost" } });

  it("streams a 64 MiB upload to the app as it arrives", async () => {
    const req = call("POST", "/upload");
    const reply = new Promise<string>((resolve, reject) => {
      req.on("response", (res: IncomingMessage) => {
        let body = "";
        res.on("data", (c: Buffer) => {
          body += c.toString();
        });
        res.on("end", () => resolve(body));
      });
      req.on("error", reject);
    });
    req.write(CHUNK);
    await within(firstUploadChunk.promise, 5000, "the app receiving the first upload chunk");
    for (let i = 1; i < CHUNKS; i += 1) {
      if (!req.write(CHUNK)) await new Promise((r) => req.once("drain", r));
    }
    req.end();
    expect(JSON.parse(await reply)).toEqual({ bytes: CHUNK.length * CHUNKS, sha256: expectedDigest() });
  });

  it("streams a 64 MiB download to the client as the app writes it", async () => {
    const req = call("GET", "/download");
    const digest = new Promise<{ bytes: number; sha256: string }>((resolve, reject) => {
      req.on("response", (res: IncomingMessage) => {
        const hash = createHash("sha256");
        let bytes = 0;
        res.on("data", (c: Buffer) => {
          bytes += c.length;
          hash.update(c);
          if (bytes >= CHUNK.length) firstDownloadChunk.resolve();
        });
        res.on("end", () => resolve({ bytes, sha256: hash.digest("hex") }));
        res.on("error", reject);
      });
      req.on("error", reject);
    });
    req.end();
    await within(firstDownloadChunk.promise, 5000, "the client receiving the first download chunk");
    expect(await digest).toEqual({ bytes: CHUNK.length * CHUNKS, sha256: expectedDigest() });
  });

  it("cuts the client's response when the app dies mid-body, instead of ending it cleanly", async () => {
    const outcome = await new Promise<string>((resolve) => {
      const req = call("GET", "/dies");
      req.on("response", (res: IncomingMessage) => {
        res.resume();
        res.on("end", () => resolve("ended cleanly"));
        res.on("aborted", () => resolve("aborted"));
        res.on("error", () => resolve("aborted"));
      });
      req.on("error", () => resolve("aborted"));
      req.end();
    });
    expect(outcome).toBe("aborted");
  });

  it("stops the app's response when the client goes away", async () => {
    const req = call("GET", "/endless");
    req.on("response", (res: IncomingMessage) => {
      res.once("data", () => req.destroy());
    });
    req.on("error", () => undefined);
    req.end();
    await within(downloadAborted.promise, 5000, "the app seeing its response closed");
  });
});

describe("router: response timeout", () => {
  it("never cuts a response that started before the upload ended", async () => {
    const upstream = await startUpstream((req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.flushHeaders();
      req.pipe(res, { end: false });
      // Keep streaming well past the response timeout after the upload has ended.
      req.on("end", () => setTimeout(() => res.end("|done"), 600));
    });
    const table = new MemoryRouteTable();
    table.set("echo", { kind: "upstream", url: upstream.url });
    const router = await createRouter({ port: 0, table, responseTimeoutMs: 200 });
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const req = request(
          {
            host: "127.0.0.1",
            port: router.port,
            method: "POST",
            path: "/",
            headers: { host: "echo.localhost" },
          },
          (res) => {
            let text = "";
            res.on("data", (c: Buffer) => {
              text += c.toString();
            });
            res.on("end", () => resolve(text));
            res.on("error", reject);
          },
        );
        req.on("error", reject);
        req.write("abc");
        setTimeout(() => req.end("def"), 100);
      });
      expect(body).toBe("abcdef|done");
    } finally {
      await router.close();
      await upstream.close();
    }
  });
});
