import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type BootServer, listenEarly } from "./boot-server.ts";

let boot: BootServer | undefined;
afterEach(async () => {
  await new Promise((resolve) => boot?.server.close(resolve));
});

describe("the api listens before its database is open", () => {
  it("answers liveness, says it is starting, then hands every request to the api once activated", async () => {
    boot = await listenEarly("127.0.0.1", 0);
    const base = `http://127.0.0.1:${boot.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const starting = await fetch(`${base}/api/apps`);
    expect(starting.status).toBe(503);
    expect(starting.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(await starting.json()).toMatchObject({ code: "STARTING", status: 503 });

    boot.attach((_req, res) => res.end("from the api"));
    // Attached but not yet ready: still the boot answers, never a half-built api.
    expect((await fetch(`${base}/api/apps`)).status).toBe(503);
    boot.activate();
    expect(await (await fetch(`${base}/api/apps`)).text()).toBe("from the api");
  });

  it("answers an overlong request line with a 414 problem while booting", async () => {
    boot = await listenEarly("127.0.0.1", 0);
    const port = boot.port;
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, "127.0.0.1", () =>
        socket.end(`GET /${"a".repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`),
      );
      let text = "";
      socket.on("data", (chunk) => {
        text += chunk.toString();
      });
      socket.on("close", () => resolve(text));
      socket.on("error", reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 414 /);
    expect(answer).toMatch(/content-type: application\/problem\+json/i);
    expect(answer).toContain('"code":"URI_TOO_LONG"');
  });
});
