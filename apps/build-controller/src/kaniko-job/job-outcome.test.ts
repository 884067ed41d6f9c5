import type { V1Job, V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { jobOutcome, pinnedImage } from "./job-outcome.ts";

const REPO = "registry.example:5000/kli8nt/hello";
const DIGEST = `sha256:${"c".repeat(64)}`;

const job = (type?: string, reason?: string): V1Job => ({
  spec: { activeDeadlineSeconds: 900, template: { spec: { containers: [] } } },
  status: type ? { conditions: [{ type, status: "True", ...(reason ? { reason } : {}) }] } : {},
});

const pod = (
  kaniko: { exitCode: number; message?: string },
  prepare = { exitCode: 0, message: "" },
): V1Pod => ({
  status: {
    initContainerStatuses: [
      {
        name: "prepare",
        image: "p",
        imageID: "",
        ready: false,
        restartCount: 0,
        state: { terminated: prepare },
      },
    ],
    containerStatuses: [
      {
        name: "kaniko",
        image: "k",
        imageID: "",
        ready: false,
        restartCount: 0,
        state: { terminated: kaniko },
      },
    ],
  },
});

describe("pinnedImage", () => {
  it("drops the tag but keeps a registry port", () => {
    expect(pinnedImage(`${REPO}:dep-1@${DIGEST}\n`, REPO)).toBe(`${REPO}@${DIGEST}`);
    expect(pinnedImage(`${REPO}@${DIGEST}`, REPO)).toBe(`${REPO}@${DIGEST}`);
  });

  it("refuses another repository, a tag only, or a short digest", () => {
    expect(pinnedImage(`registry.example:5000/kli8nt/other@${DIGEST}`, REPO)).toBeUndefined();
    expect(pinnedImage(`${REPO}:latest`, REPO)).toBeUndefined();
    expect(pinnedImage(`${REPO}@sha256:abc`, REPO)).toBeUndefined();
  });
});

describe("jobOutcome", () => {
  it("is running until the Job has a terminal condition", () => {
    expect(jobOutcome(job(), undefined, REPO)).toEqual({ kind: "running" });
  });

  it("succeeds with the digest and the plan from the prepare step", () => {
    const plan = JSON.stringify({ provider: "node", port: 8080, commitSha: "d".repeat(40) });
    const outcome = jobOutcome(
      job("Complete"),
      pod({ exitCode: 0, message: `${REPO}@${DIGEST}` }, { exitCode: 0, message: plan }),
      REPO,
    );
    expect(outcome).toEqual({
      kind: "succeeded",
      image: `${REPO}@${DIGEST}`,
      plan: { provider: "node", port: 8080, commitSha: "d".repeat(40) },
    });
  });

  it("fails a completed Job that reported no digest", () => {
    expect(jobOutcome(job("Complete"), pod({ exitCode: 0, message: "" }), REPO)).toMatchObject({
      kind: "failed",
    });
  });

  it("names the failed step and the end of its message", () => {
    const log = Array.from({ length: 20 }, (_, i) => `line ${i}`).join("\n");
    const outcome = jobOutcome(
      job("Failed", "BackoffLimitExceeded"),
      pod({ exitCode: 0 }, { exitCode: 2, message: log }),
      REPO,
    );
    expect(outcome).toEqual({
      kind: "failed",
      reason: `Preparing the build failed (exit code 2): ${Array.from({ length: 8 }, (_, i) => `line ${i + 12}`).join("\n")}`,
    });
  });

  it("says when the deadline ended the build", () => {
    expect(jobOutcome(job("Failed", "DeadlineExceeded"), undefined, REPO)).toEqual({
      kind: "failed",
      reason: "The build took longer than 900 s",
      timedOut: true,
    });
  });
});
