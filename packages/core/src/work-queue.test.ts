import { describe, expect, it } from "vitest";
import { TerminalError, UnavailableError } from "./errors.ts";
import { backoffDelay, type QueueClock, WorkQueue } from "./work-queue.ts";

/** A clock whose time moves only when the test says so. */
function fakeClock() {
  let now = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  let next = 1;
  const clock: QueueClock = {
    now: () => now,
    setTimeout: (fn, ms) => {
      timers.set(next, { at: now + ms, fn });
      return next++;
    },
    clearTimeout: (handle) => void timers.delete(handle as number),
  };
  const advance = async (ms: number) => {
    const until = now + ms;
    for (;;) {
      const due = [...timers.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at);
      const first = due[0];
      if (!first) break;
      timers.delete(first[0]);
      now = first[1].at;
      first[1].fn();
      await settle();
    }
    now = until;
  };
  return { clock, advance, pending: () => [...timers.values()].map((t) => t.at - now) };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe("WorkQueue", () => {
  it("backs off 100 ms doubling to 5 min, with no attempt limit", () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, 100, 300_000))).toEqual([100, 200, 400, 800]);
    expect(backoffDelay(12, 100, 300_000)).toBe(204_800);
    expect(backoffDelay(13, 100, 300_000)).toBe(300_000);
    expect(backoffDelay(1000, 100, 300_000)).toBe(300_000);
  });

  it("retries a failing key with growing delays, then resets the backoff on success", async () => {
    const { clock, advance, pending } = fakeClock();
    const attempts: number[] = [];
    let failuresLeft = 5;
    const queue = new WorkQueue({
      clock,
      reconcile: async () => {
        attempts.push(clock.now());
        if (failuresLeft-- > 0) throw new UnavailableError("DOWN", "database down");
        return {};
      },
    });
    queue.add("shop");
    await settle();
    expect(queue.failures("shop")).toBe(1);
    expect(pending()).toEqual([100]);
    await advance(100 + 200 + 400 + 800 + 1600);
    expect(attempts).toEqual([0, 100, 300, 700, 1500, 3100]);
    expect(queue.failures("shop")).toBe(0);
    expect(pending()).toEqual([]);
  });

  it("never runs one key twice at once, and runs it again when it was added meanwhile", async () => {
    const { clock } = fakeClock();
    let running = 0;
    let most = 0;
    let runs = 0;
    let release: () => void = () => undefined;
    const queue = new WorkQueue({
      clock,
      workers: 4,
      reconcile: async () => {
        runs++;
        running++;
        most = Math.max(most, running);
        await new Promise<void>((r) => {
          release = r;
        });
        running--;
        return {};
      },
    });
    queue.add("shop");
    await settle();
    queue.add("shop");
    queue.add("shop");
    await settle();
    expect(runs).toBe(1);
    release();
    await settle();
    await settle();
    expect(runs).toBe(2);
    release();
    await queue.drained();
    expect(most).toBe(1);
    expect(runs).toBe(2);
  });

  it("de-duplicates keys waiting in line and runs different keys side by side", async () => {
    const { clock } = fakeClock();
    const seen: string[] = [];
    let open: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      open = r;
    });
    const queue = new WorkQueue({
      clock,
      workers: 2,
      reconcile: async (key) => {
        seen.push(key);
        if (key === "a") await gate;
        return {};
      },
    });
    queue.add("a");
    queue.add("b");
    queue.add("c");
    queue.add("c");
    await settle();
    expect(seen).toEqual(["a", "b", "c"]);
    open();
    await queue.drained();
    expect(seen).toEqual(["a", "b", "c"]);
  });

  it("records a terminal error once and does not retry it", async () => {
    const { clock, advance, pending } = fakeClock();
    const terminal: string[] = [];
    let runs = 0;
    const queue = new WorkQueue({
      clock,
      reconcile: async () => {
        runs++;
        throw new TerminalError("IMAGE_MISSING", "the image is gone");
      },
      onTerminal: (key, error) => void terminal.push(`${key}: ${(error as TerminalError).code}`),
    });
    queue.add("shop");
    await queue.drained();
    await advance(600_000);
    expect(terminal).toEqual(["shop: IMAGE_MISSING"]);
    expect(runs).toBe(1);
    expect(pending()).toEqual([]);
  });

  it("requeues after the delay a reconcile asks for, and a resync add does not skip a backoff", async () => {
    const { clock, advance } = fakeClock();
    const at: number[] = [];
    let fail = true;
    const queue = new WorkQueue({
      clock,
      reconcile: async (key) => {
        at.push(clock.now());
        if (key === "bad" && fail) throw new Error("podman not answering");
        return key === "poll" ? { requeueAfterMs: 5000 } : {};
      },
    });
    queue.add("poll");
    queue.add("bad");
    await queue.drained();
    queue.add("bad"); // waits out its 100 ms backoff
    await settle();
    expect(at).toEqual([0, 0]);
    fail = false;
    await advance(5000);
    expect(at).toEqual([0, 0, 100, 5000]);
  });

  it("runs a key added during its requeue-after delay at once", async () => {
    const { clock, advance } = fakeClock();
    const at: number[] = [];
    const queue = new WorkQueue({
      clock,
      reconcile: async () => {
        at.push(clock.now());
        return { requeueAfterMs: 30_000 };
      },
    });
    queue.add("app");
    await queue.drained();
    await advance(1000);
    queue.add("app");
    await queue.drained();
    expect(at).toEqual([0, 1000]);
    await advance(29_000);
    expect(at).toEqual([0, 1000, 30_000]);
  });

  it("stops taking keys and cancels its timers", async () => {
    const { clock, pending } = fakeClock();
    const queue = new WorkQueue({
      clock,
      reconcile: async () => ({ requeueAfterMs: 1000 }),
    });
    queue.add("a");
    await queue.drained();
    expect(pending()).toEqual([1000]);
    await queue.stop();
    expect(pending()).toEqual([]);
    queue.add("a");
    await settle();
    expect(pending()).toEqual([]);
  });
});
