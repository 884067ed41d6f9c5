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
});
