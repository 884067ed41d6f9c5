import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.ts";
import { startApi } from "./server.ts";

/** One GET on a keep-alive connection that stays open afterwards, as a browser's would. */
function getKeepingAlive(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { connection: "keep-alive" } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("startApi", () => {
  it("stops listening on close(), even with a client's keep-alive connection open", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "kli8nt-api-close-"));
    try {
      const config = loadConfig({ KLI8NT_DATA_DIR: dataDir, KLI8NT_PORT: "0", KLI8NT_HOST: "127.0.0.1" });
      const api = await startApi(config, pino({ level: "silent" }), async () => undefined);
      expect(await getKeepingAlive(`${api.url}/healthz`)).toBe(200);
      const started = Date.now();
      await api.close();
      // Idle connections go at once, not after the grace period for busy ones.
      expect(Date.now() - started).toBeLessThan(1500);
      await expect(fetch(`${api.url}/healthz`)).rejects.toThrow();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it("serves /internal/v1 on KLI8NT_INTERNAL_PORT only, and closes that listener too (ADR 0124)", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "kli8nt-api-internal-"));
    const token = "internal-token-0123456789abcdef-0123456789";
    try {
      const config = loadConfig({
        KLI8NT_DATA_DIR: dataDir,
        KLI8NT_PORT: "0",
        KLI8NT_HOST: "127.0.0.1",
        KLI8NT_INTERNAL_TOKEN: token,
        KLI8NT_INTERNAL_PORT: "0",
      });
      const api = await startApi(config, pino({ level: "silent" }), async () => undefined);
      const ask = (base: string, bearer = token) =>
        fetch(`${base}/internal/v1/builds/d-missing/source`, {
          method: "POST",
          headers: { authorization: `Bearer ${bearer}` },
        });
      expect(api.internalUrl).not.toBe(api.url);
      const outside = await ask(api.url);
      expect(outside.status).toBe(404);
      expect(((await outside.json()) as { code: string }).code).not.toBe("DEPLOYMENT_NOT_FOUND");
      const inside = await ask(api.internalUrl);
      expect([inside.status, inside.headers.get("content-type")]).toEqual([
        404,
        "application/problem+json; charset=utf-8",
      ]);
      expect(((await inside.json()) as { code: string }).code).toBe("DEPLOYMENT_NOT_FOUND");
      expect((await ask(api.internalUrl, "wrong-token-0123456789abcdef-01234567")).status).toBe(401);
      // Nothing else lives on the internal port.
      expect((await fetch(`${api.internalUrl}/api/apps`)).status).toBe(404);
      await api.close();
      await expect(
        fetch(`${api.internalUrl}/internal/v1/builds/x/source`, { method: "POST" }),
      ).rejects.toThrow();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
