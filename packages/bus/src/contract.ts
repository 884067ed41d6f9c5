import { eventually } from "@kli8nt/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { Bus, BusMessage, DeadLetter, QueueName, RetryPolicy } from "./bus.ts";
import { MessageInvalidError } from "./errors.ts";

/** A bus built for one contract test, with the hooks the suite needs beyond the port. */
export interface BusUnderTest {
  readonly bus: Bus;
  /** Puts bytes on a queue as they are (bypassing JSON encoding), as a broken publisher would. */
  publishRaw(queue: QueueName, raw: { content: Buffer; id: string; type: string }): Promise<void>;
  /** Drops every broker connection; only adapters with a broker provide it. */
  readonly dropConnections?: () => Promise<void>;
  /** Stops and restarts the broker application (queues and messages are durable). */
  readonly restartBroker?: () => Promise<void>;
  /** How many times the bus has connected so far (with dropConnections). */
  readonly connections?: () => number;
  /** A second bus on the same queues (same broker and prefix), to check what the first one left behind. */
  readonly reopen?: () => Promise<Bus>;
  /** Removes what the test left on the broker. */
  readonly dispose?: () => Promise<void>;
}

export type MakeBus = (retry: RetryPolicy) => Promise<BusUnderTest>;

const RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 200 };
const Counter = z.object({ n: z.number().int() });
type Counter = z.infer<typeof Counter>;

export function msg(n: number, extra: Partial<BusMessage> = {}): BusMessage {
  return { id: `m-${n}`, type: "Counter.v1", body: { n }, ...extra };
}

export async function waitUntil(what: string, cond: () => boolean | Promise<boolean>, ms = 15_000) {
  await eventually(what, async () => (await cond()) || undefined, ms, 10);
}

export async function takeDeadLetters(bus: Bus, queue: QueueName, count: number): Promise<DeadLetter[]> {
  const got: DeadLetter[] = [];
  await waitUntil(`${count} dead letters on ${queue}`, async () => {
    got.push(...(await bus.takeDeadLetters(queue, count - got.length)));
    return got.length >= count;
  });
  return got;
}

/** The Bus port contract: every adapter must pass it unchanged. */
export function runBusContract(name: string, makeBus: MakeBus): void {
  describe(`Bus contract: ${name}`, () => {
    let current: BusUnderTest | undefined;
    const open = async (): Promise<BusUnderTest> => {
      current = await makeBus(RETRY);
      return current;
    };
    afterEach(async () => {
      await current?.bus.close();
      await current?.dispose?.();
      current = undefined;
    });

    it("delivers published messages with id, type, headers and attempt 1, in order", async () => {
      const { bus } = await open();
      const seen: Array<{
        body: Counter;
        id: string;
        type: string;
        attempt: number;
        trace: string | undefined;
      }> = [];
      await bus.consume(
        "BUILD",
        Counter,
        async (body, ctx) => {
          seen.push({ body, id: ctx.id, type: ctx.type, attempt: ctx.attempt, trace: ctx.headers.trace });
        },
        { prefetch: 1 },
      );
      for (let n = 1; n <= 3; n++) await bus.publish("BUILD", msg(n, { headers: { trace: `t${n}` } }));
      await waitUntil("3 deliveries", () => seen.length === 3);
      expect(seen).toEqual(
        [1, 2, 3].map((n) => ({ body: { n }, id: `m-${n}`, type: "Counter.v1", attempt: 1, trace: `t${n}` })),
      );
      expect(await bus.takeDeadLetters("BUILD", 10)).toEqual([]);
    });

    it("keeps queues apart", async () => {
      const { bus } = await open();
      const got: string[] = [];
      await bus.consume("DEPLOY", Counter, async (_b, ctx) => void got.push(`D:${ctx.id}`), { prefetch: 2 });
      await bus.consume("INFORM", Counter, async (_b, ctx) => void got.push(`I:${ctx.id}`), { prefetch: 2 });
      await bus.publish("DEPLOY", msg(1));
      await bus.publish("INFORM", msg(2));
      await waitUntil("2 deliveries", () => got.length === 2);
      expect(got.sort()).toEqual(["D:m-1", "I:m-2"]);
    });

    it("redelivers after a handler throws, with backoff, until it succeeds", async () => {
      const { bus } = await open();
      const attempts: Array<{ attempt: number; at: number }> = [];
      await bus.consume(
        "BUILD",
        Counter,
        async (_b, ctx) => {
          attempts.push({ attempt: ctx.attempt, at: Date.now() });
          if (ctx.attempt < 3) throw new Error("database busy");
        },
        { prefetch: 1 },
      );
      await bus.publish("BUILD", msg(1));
      await waitUntil("3 attempts", () => attempts.length === 3);
      await new Promise((r) => setTimeout(r, 300));
      expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
      const [a1, a2, a3] = attempts.map((a) => a.at) as [number, number, number];
      expect(a2 - a1).toBeGreaterThanOrEqual(RETRY.baseDelayMs - 5);
      expect(a3 - a2).toBeGreaterThanOrEqual(RETRY.baseDelayMs * 2 - 5);
      expect(await bus.takeDeadLetters("BUILD", 10)).toEqual([]);
    });

    it("dead-letters a message whose attempts are exhausted, with the reason and the original body", async () => {
      const { bus } = await open();
      let calls = 0;
      await bus.consume(
        "BUILD",
        Counter,
        async () => {
          calls++;
          throw new Error("registry unreachable");
        },
        { prefetch: 1 },
      );
      await bus.publish("BUILD", msg(7, { headers: { trace: "x" } }));
      const [dl] = await takeDeadLetters(bus, "BUILD", 1);
      expect(calls).toBe(RETRY.maxAttempts);
      expect(dl).toMatchObject({
        queue: "BUILD",
        id: "m-7",
        type: "Counter.v1",
        attempts: RETRY.maxAttempts,
      });
      expect(dl?.headers.trace).toBe("x");
      expect(dl?.reason).toContain("attempts exhausted (3)");
      expect(dl?.reason).toContain("registry unreachable");
      expect(JSON.parse(dl?.rawBody ?? "")).toEqual({ n: 7 });
    });

    it("dead-letters a body that is not valid JSON without calling the handler", async () => {
      const under = await open();
      let calls = 0;
      await under.bus.consume("BUILD", Counter, async () => void calls++, { prefetch: 1 });
      await under.publishRaw("BUILD", { content: Buffer.from("{not json"), id: "raw-1", type: "Counter.v1" });
      await under.bus.publish("BUILD", msg(2));
      const [dl] = await takeDeadLetters(under.bus, "BUILD", 1);
      expect(dl?.reason).toMatch(/^body is not valid JSON/);
      expect(dl?.rawBody).toBe("{not json");
      expect(dl?.id).toBe("raw-1");
      await waitUntil("the valid message", () => calls === 1);
    });

    it("dead-letters a body that fails the consumer's schema, naming the field", async () => {
      const { bus } = await open();
      let calls = 0;
      await bus.consume("DEPLOY", Counter, async () => void calls++, { prefetch: 1 });
      await bus.publish("DEPLOY", { id: "bad", type: "Counter.v1", body: { n: "seven" } });
      const [dl] = await takeDeadLetters(bus, "DEPLOY", 1);
      expect(dl?.reason).toMatch(/^body failed validation: n: /);
      expect(dl?.attempts).toBe(1);
      expect(JSON.parse(dl?.rawBody ?? "")).toEqual({ n: "seven" });
      expect(calls).toBe(0);
    });

    it("dead-letters at once on a poison error or a deadLetter verdict", async () => {
      const { bus } = await open();
      let calls = 0;
      await bus.consume(
        "INFORM",
        Counter,
        async (body) => {
          calls++;
          if (body.n === 1) throw new MessageInvalidError("unknown deployment");
          return { deadLetter: "superseded by a newer deploy" };
        },
        { prefetch: 1 },
      );
      await bus.publish("INFORM", msg(1));
      await bus.publish("INFORM", msg(2));
      const dls = await takeDeadLetters(bus, "INFORM", 2);
      const reasons = Object.fromEntries(dls.map((d) => [d.id, d.reason]));
      expect(reasons["m-1"]).toBe("handler rejected the message: MESSAGE_INVALID: unknown deployment");
      expect(reasons["m-2"]).toBe("handler: superseded by a newer deploy");
      expect(calls).toBe(2);
    });

    it("never runs more handlers at once than the prefetch", async () => {
      const { bus } = await open();
      let running = 0;
      let peak = 0;
      const done = new Set<number>();
      await bus.consume(
        "BUILD",
        Counter,
        async (body) => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setTimeout(r, 15));
          running--;
          done.add(body.n);
        },
        { prefetch: 3 },
      );
      await Promise.all(Array.from({ length: 30 }, (_, i) => bus.publish("BUILD", msg(i))));
      await waitUntil("30 handled", () => done.size === 30);
      expect(peak).toBe(3);
    });

    it("close() waits for in-flight handlers, which are acked and not delivered again", async () => {
      const under = await open();
      let started = 0;
      let finished = 0;
      await under.bus.consume(
        "BUILD",
        Counter,
        async () => {
          started++;
          await new Promise((r) => setTimeout(r, 300));
          finished++;
        },
        { prefetch: 2 },
      );
      await under.bus.publish("BUILD", msg(1));
      await under.bus.publish("BUILD", msg(2));
      await waitUntil("2 handlers running", () => started === 2);
      await under.bus.close();
      expect(finished).toBe(2);
      await expect(under.bus.publish("BUILD", msg(3))).rejects.toMatchObject({ code: "BUS_CLOSED" });
      if (under.reopen) {
        const again = await under.reopen();
        let redelivered = 0;
        await again.consume("BUILD", Counter, async () => void redelivered++, { prefetch: 2 });
        await new Promise((r) => setTimeout(r, 500));
        await again.close();
        expect(redelivered).toBe(0);
      }
    });

    it("rejects a body JSON cannot carry at publish time", async () => {
      const { bus } = await open();
      await expect(bus.publish("BUILD", { id: "x", type: "T", body: 10n })).rejects.toMatchObject({
        code: "MESSAGE_INVALID",
      });
    });
  });
}
