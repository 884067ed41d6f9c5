import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { RetryPolicy } from "./bus.ts";
import { type BusUnderTest, type MakeBus, msg, waitUntil } from "./contract.ts";

const RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 50, maxDelayMs: 500 };
const Counter = z.object({ n: z.number().int() });

/** Contract for adapters with a broker: losing every connection mid-stream loses nothing. */
export function runBrokerFaultContract(name: string, makeBus: MakeBus): void {
  describe(`Bus broker faults: ${name}`, () => {
    let current: BusUnderTest | undefined;
    afterEach(async () => {
      await current?.bus.close();
      await current?.dispose?.();
      current = undefined;
    });

    it("reconnects after the broker drops its connections, and every message is handled", async () => {
      current = await makeBus(RETRY);
      const { bus } = current;
      const drop = needsBroker(current);
      const total = 300;
      const handled = new Map<number, number>();
      await bus.consume(
        "BUILD",
        Counter,
        async (body) => {
          await new Promise((r) => setTimeout(r, 2));
          handled.set(body.n, (handled.get(body.n) ?? 0) + 1);
        },
        { prefetch: 10 },
      );
      const publishes: Array<Promise<void>> = [];
      for (let n = 0; n < total; n++) {
        publishes.push(bus.publish("BUILD", msg(n)));
        if (n === 99 || n === 199) {
          await waitUntil("some handled", () => handled.size > 0);
          await drop.dropConnections();
        }
        if (n % 20 === 0) await new Promise((r) => setTimeout(r, 10));
      }
      await Promise.all(publishes);
      await waitUntil(`${total} handled`, () => handled.size === total, 25_000);
      // Initial connection plus one per drop: the drops really happened mid-stream.
      expect(drop.connections()).toBeGreaterThanOrEqual(3);
      const duplicates = [...handled.values()].filter((c) => c > 1).length;
      // At-least-once: a redelivery after a lost ack is allowed, but it must stay rare.
      expect(duplicates).toBeLessThanOrEqual(30);
      expect(await bus.takeDeadLetters("BUILD", 10)).toEqual([]);
    });

    it("publish() waits through a dropped connection and is confirmed after the reconnect", async () => {
      current = await makeBus(RETRY);
      const { bus } = current;
      const drop = needsBroker(current);
      await drop.dropConnections();
      await bus.publish("DEPLOY", msg(1));
      expect(drop.connections()).toBe(2);
      const seen: string[] = [];
      await bus.consume("DEPLOY", Counter, async (_b, ctx) => void seen.push(ctx.id), { prefetch: 1 });
      await waitUntil("the message", () => seen.length === 1);
      expect(seen).toEqual(["m-1"]);
    });

    it("survives a broker restart: every message published before and after is handled", async () => {
      current = await makeBus(RETRY);
      const restart = current.restartBroker;
      if (!restart) throw new Error("this contract needs restartBroker");
      const handled = await publishAndCount(current, 100, restart);
      expect(handled.size).toBe(100);
      expect(needsBroker(current).connections()).toBeGreaterThanOrEqual(2);
    }, 60_000);
  });
}

async function publishAndCount(under: BusUnderTest, total: number, midway: () => Promise<void>) {
  const handled = new Map<number, number>();
  await under.bus.consume(
    "DEPLOY",
    Counter,
    async (body) => {
      handled.set(body.n, (handled.get(body.n) ?? 0) + 1);
    },
    { prefetch: 5 },
  );
  const first = Array.from({ length: total / 2 }, (_, n) => under.bus.publish("DEPLOY", msg(n)));
  await Promise.all(first);
  await midway();
  const second = Array.from({ length: total / 2 }, (_, n) => under.bus.publish("DEPLOY", msg(total / 2 + n)));
  await Promise.all(second);
  await waitUntil(`${total} handled`, () => handled.size === total, 25_000);
  return handled;
}

function needsBroker(under: BusUnderTest) {
  const { dropConnections, connections } = under;
  if (!dropConnections || !connections)
    throw new Error("this contract needs dropConnections and connections");
  return { dropConnections, connections };
}
