import { createServer, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "./free-port.ts";
import { waitHealthy } from "./health-check.ts";

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** An app that starts listening on `port` after `delayMs`, like a release still booting. */
function listenLater(port: number, delayMs: number): void {
  setTimeout(() => {
    server = createServer((_req, res) => res.end("ok"));
    server.listen(port, "127.0.0.1");
  }, delayMs);
}

describe("waitHealthy", () => {
  it("keeps probing while a look at the release's state is still running", async () => {
    const port = await freePort();
    listenLater(port, 1200);
    let looks = 0;
    // A podman inspect that never returns must not hold up the probes.
    const status = () => {
      looks++;
      return new Promise<never>(() => undefined);
    };
    const result = await waitHealthy(`http://127.0.0.1:${port}`, port, { timeoutMs: 10_000, status });
    expect(result.ok).toBe(true);
    expect(looks).toBe(1);
  });

  it("fails with the exit code once the release has exited, without waiting out the timeout", async () => {
    const port = await freePort();
    const result = await waitHealthy(`http://127.0.0.1:${port}`, port, {
      timeoutMs: 60_000,
      statusIntervalMs: 50,
      status: async () => ({ running: false, exitCode: 3 }),
    });
    expect(result).toEqual({
      ok: false,
      reason: `The app exited with code 3 before answering on port ${port}`,
    });
  });

  it("rethrows a failing status look (the deploy is retried, not failed)", async () => {
    const port = await freePort();
    const status = async () => {
      throw new Error("podman is not answering");
    };
    await expect(
      waitHealthy(`http://127.0.0.1:${port}`, port, { timeoutMs: 60_000, status }),
    ).rejects.toThrow("podman is not answering");
  });
});
