import { randomBytes } from "node:crypto";
import { eventually } from "@kli8nt/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DesiredRelease, RuntimePort } from "./runtime-port.ts";

/** What an adapter's test provides: the runtime and releases it can really run. */
export interface RuntimeSubject {
  readonly runtime: RuntimePort;
  /** A release of `appName` whose web answers on its port; `tag` tells releases apart. */
  release(appName: string, tag: string): Promise<DesiredRelease>;
  /** A release whose web never answers (exits at once, or never becomes ready). */
  failing(appName: string): Promise<DesiredRelease>;
  /** A release whose one-off command runs in its image (any image with /bin/sh). */
  oneOffImage(): Promise<string>;
  /**
   * What the one-off run reports where containers only are simulated (kwok nodes: the stage's exit code,
   * fixed log lines). Absent: the command really runs, exits 7 and prints the release's env.
   */
  readonly simulatedOneOff?: { readonly exitCode: number; readonly output: string };
  close(): Promise<void>;
}

const running = async (runtime: RuntimePort, app: string, deploymentId: string) =>
  (await runtime.observe(app)).instances.filter(
    (i) => i.deploymentId === deploymentId && i.state === "running",
  );

/** Polls until `check` holds (Kubernetes reports pods a moment after the rollout). */
const until = <T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000) =>
  eventually(what, check, timeoutMs, 200);

/**
 * The Runtime port's contract (ADR 0195), run against every adapter: podman and the process engine for
 * real, Kubernetes against the test cluster. What the deploy handler and the reconcilers rely on.
 */
export function runRuntimeContract(
  name: string,
  setup: () => Promise<RuntimeSubject>,
  timeout = 180_000,
): void {
  describe(`Runtime port contract: ${name}`, { timeout }, () => {
    let subject: RuntimeSubject;
    const app = `rc-${randomBytes(3).toString("hex")}`;
    let v1: DesiredRelease;

    beforeAll(async () => {
      subject = await setup();
    }, timeout);
    afterAll(async () => {
      await subject?.runtime.remove(app).catch(() => undefined);
      await subject?.close();
    });

    it("applies a release: live with its URL, its web observed running", async () => {
      v1 = await subject.release(app, "v1");
      const outcome = await subject.runtime.apply(v1);
      expect(outcome).toMatchObject({ ok: true, url: expect.stringContaining(app) });
      const web = await until("v1 running", async () => {
        const r = await running(subject.runtime, app, v1.deploymentId);
        return r.length > 0 ? r : undefined;
      });
      expect(web.every((i) => i.type === "web")).toBe(true);
      expect(await subject.runtime.apps()).toContain(app);
    });

    it("applies the same release again without a second set of instances", async () => {
      const before = (await running(subject.runtime, app, v1.deploymentId)).length;
      expect(await subject.runtime.apply(v1)).toMatchObject({ ok: true });
      expect((await running(subject.runtime, app, v1.deploymentId)).length).toBe(before);
    });

    it("scales web to its count and back, and stops and starts the app, without a new release", async () => {
      const scaled = { ...v1, processes: v1.processes.map((p) => ({ ...p, count: 2 })) };
      expect(await subject.runtime.apply(scaled)).toMatchObject({ ok: true });
      await until("two web instances", async () =>
        (await running(subject.runtime, app, v1.deploymentId)).length === 2 ? true : undefined,
      );
      expect(await subject.runtime.apply({ ...v1, stopped: true })).toMatchObject({ ok: true });
      await until("no instance", async () =>
        (await running(subject.runtime, app, v1.deploymentId)).length === 0 ? true : undefined,
      );
      expect(await subject.runtime.apply(v1)).toMatchObject({ ok: true });
      await until("one web instance again", async () =>
        (await running(subject.runtime, app, v1.deploymentId)).length === 1 ? true : undefined,
      );
    });

    it("fails a release that never answers with a reason, and the previous one keeps running", async () => {
      const bad = await subject.failing(app);
      const outcome = await subject.runtime.apply(bad);
      expect(outcome.ok).toBe(false);
      if (!outcome.ok) expect(outcome.reason.length).toBeGreaterThan(10);
      const still = await until("v1 running after the failure", async () => {
        const r = await running(subject.runtime, app, v1.deploymentId);
        return r.length > 0 ? r : undefined;
      });
      expect(still.length).toBeGreaterThan(0);
    });

    it("runs a one-off command to completion with its exit code, output and the release's env", async () => {
      const image = await subject.oneOffImage();
      const lines: string[] = [];
      const result = await subject.runtime.runOnce({
        deploymentId: v1.deploymentId,
        appId: v1.appId,
        appName: app,
        image,
        env: { MIGRATION: "0042" },
        command: 'echo "applying $MIGRATION"; exit 7',
        phase: "release",
        runId: randomBytes(3).toString("hex"),
        memory: "128Mi",
        cpu: "0.25",
        timeoutMs: 60_000,
        onLine: (_stream, line) => lines.push(line),
      });
      const expected = subject.simulatedOneOff ?? { exitCode: 7, output: "applying 0042" };
      expect(result.exitCode).toBe(expected.exitCode);
      expect(result.tail.join("\n")).toContain(expected.output);
      expect(lines.join("\n")).toContain(expected.output);
    });

    it("removes the app: nothing observed, no longer listed", async () => {
      await subject.runtime.remove(app);
      await until("the app gone", async () =>
        (await subject.runtime.observe(app)).instances.length === 0 &&
        !(await subject.runtime.apps()).includes(app)
          ? true
          : undefined,
      );
    });
  });
}
