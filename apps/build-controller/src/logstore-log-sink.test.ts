import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFileLogStore, withSecretMasking } from "@kli8nt/logstore";
import { describe, expect, it } from "vitest";
import { logStoreLogSink } from "./logstore-log-sink.ts";

// The real file LogStore: build lines land in order, per app, masked, tagged phase=build.
describe("logStoreLogSink", () => {
  it("appends lines in order with the build phase, masking the app's secrets", async () => {
    const store = createFileLogStore({ dataDir: mkdtempSync(join(tmpdir(), "kli8nt-sink-")) });
    const errors: unknown[] = [];
    const sink = logStoreLogSink(
      withSecretMasking(store, () => ["hunter2-secret"]),
      (e) => errors.push(e),
    );
    for (let i = 0; i < 50; i++) {
      sink.write({
        appId: "app_a",
        deploymentId: "dep_1",
        stream: i % 2 ? "stderr" : "stdout",
        line: `line ${i}`,
      });
    }
    sink.write({ appId: "app_b", deploymentId: "dep_2", stream: "stdout", line: "token is hunter2-secret" });
    await sink.flush();
    const a = await store.read("app_a");
    expect(a.records.map((r) => r.line)).toEqual(Array.from({ length: 50 }, (_, i) => `line ${i}`));
    expect(a.records[1]).toMatchObject({
      phase: "build",
      source: "builder",
      stream: "stderr",
      deploymentId: "dep_1",
    });
    expect((await store.read("app_b")).records.map((r) => r.line)).toEqual(["token is ****"]);
    expect(errors).toEqual([]);
    await store.close();
  });
});
