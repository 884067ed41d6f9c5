import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createBus } from "./create-bus.ts";
import { MemoryBus } from "./memory/memory-bus.ts";

describe("createBus", () => {
  it("builds the in-process adapter for kind memory, with the given retry policy", async () => {
    const bus = await createBus({ kind: "memory", retry: { maxAttempts: 1, baseDelayMs: 1 } });
    expect(bus).toBeInstanceOf(MemoryBus);
    await bus.consume(
      "BUILD",
      z.object({}),
      async () => {
        throw new Error("boom");
      },
      { prefetch: 1 },
    );
    await bus.publish("BUILD", { id: "a", type: "T.v1", body: {} });
    let dead: Awaited<ReturnType<typeof bus.takeDeadLetters>> = [];
    for (let i = 0; i < 100 && dead.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
      dead = await bus.takeDeadLetters("BUILD", 1);
    }
    expect(dead[0]?.reason).toBe("attempts exhausted (1): boom");
    await bus.close();
  });

  it("fails with BUS_UNAVAILABLE when RabbitMQ cannot be reached", async () => {
    const started = Date.now();
    await expect(
      createBus({ kind: "rabbitmq", url: "amqp://guest:guest@127.0.0.1:1", connectTimeoutMs: 500 }),
    ).rejects.toMatchObject({ code: "BUS_UNAVAILABLE" });
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
