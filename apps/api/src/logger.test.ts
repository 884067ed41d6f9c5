import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.ts";
import { startHarness } from "./test/harness.ts";

describe("logs and problems never carry tokens", () => {
  it("redacts sign-in tokens, query strings, auth headers and token fields", async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger("info", sink);
    const h = await startHarness({}, { logger });
    try {
      const token = "SECRETLINKTOKEN0123456789abcdef";
      const res = await h.app.inject({
        url: `/auth/link/${token}?code=SECRETCODE`,
        headers: { authorization: "Bearer SECRETBEARER" },
      });
      expect(res.statusCode).toBe(401);
      expect(res.json().instance).toBe("/auth/link/[redacted]");
      expect(res.body).not.toContain(token);
      await h.app.inject({ url: "/api/apps", headers: { authorization: "Bearer SECRETBEARER2" } });
      logger.info({ token: "SECRETFIELD", nested: { accessToken: "SECRETACCESS" } }, "Probe");
      const all = lines.join("");
      expect(all).toContain("/auth/link/[redacted]");
      expect(all).toContain("Probe");
      for (const secret of [token, "SECRETCODE", "SECRETBEARER", "SECRETFIELD", "SECRETACCESS"]) {
        expect(all).not.toContain(secret);
      }
    } finally {
      await h.close();
    }
  });
});
