import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { failUnderCi } from "@kli8nt/testkit";
import { describe, expect, it } from "vitest";
import { collect, freshAppId, makeRecords } from "../contract.ts";
import type { LogEvent } from "../logstore.ts";
import { createKafkaLogStore } from "./kafka-log-store.ts";

const brokers = process.env.KLI8NT_TEST_KAFKA_BROKERS;
const restart = process.env.KLI8NT_TEST_KAFKA_RESTART;
const missing = !brokers || !restart;
failUnderCi(
  missing,
  "KLI8NT_TEST_KAFKA_BROKERS / KLI8NT_TEST_KAFKA_RESTART are not set: Kafka was not started",
);

describe.skipIf(missing)("Kafka LogStore across a broker restart", () => {
  it("loses and repeats no line while the broker restarts mid-production", { timeout: 180_000 }, async () => {
    const store = createKafkaLogStore({ brokers: (brokers ?? "").split(",") });
    try {
      const app = freshAppId("restart");
      await store.append(app, makeRecords(app, 1, { line: "before" }));
      const sub = store.subscribe(app, { from: 0 });
      const batches = 40;
      const perBatch = 50;
      let restarted: Promise<unknown> | undefined;
      for (let b = 0; b < batches; b++) {
        if (b === 10) restarted = promisify(execFile)("bash", ["-c", restart ?? ""], { timeout: 150_000 });
        await store.append(app, makeRecords(app, perBatch, {}, b * perBatch));
        await new Promise((r) => setTimeout(r, 50));
      }
      await restarted;
      const expected = ["before", ...makeRecords(app, batches * perBatch).map((r) => r.line)];

      const stored: string[] = [];
      for (let from = 0; ; ) {
        const page = await store.read(app, { from, limit: 1000 });
        stored.push(...page.records.map((r) => r.line));
        if (page.next >= page.end) break;
        from = page.next;
      }
      expect(stored).toEqual(expected);

      const events: LogEvent[] = await collect(sub, (e) => e.length >= expected.length, 90_000);
      await sub.close();
      expect(events.map((e) => (e.type === "record" ? e.record.line : `dropped ${e.dropped}`))).toEqual(
        expected,
      );
    } finally {
      await store.close();
    }
  });
});
