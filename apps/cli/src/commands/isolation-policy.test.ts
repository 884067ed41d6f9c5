import { describe, expect, it } from "vitest";
import { decideIsolation, type IsolationInput } from "./isolation-policy.ts";
import { startCommand } from "./start.ts";

const base: IsolationInput = {
  builder: "auto",
  runtime: "auto",
  githubSignIn: false,
  host: "127.0.0.1",
  hasBuildah: false,
  hasPodman: false,
};

describe("isolation policy", () => {
  it("lets auto pick the process fallbacks only for a single-user install on loopback, and says so", () => {
    const d = decideIsolation(base);
    expect(d).toMatchObject({ ok: true, builder: "process", runtime: "process" });
    expect(d.ok && d.notes.join("\n")).toMatch(/single-user install on loopback/);
    expect(decideIsolation({ ...base, host: "localhost" })).toMatchObject({ ok: true, builder: "process" });
  });

  it("picks buildah and podman when installed, whatever the sign-in", () => {
    const d = decideIsolation({
      ...base,
      githubSignIn: true,
      host: "0.0.0.0",
      hasBuildah: true,
      hasPodman: true,
    });
    expect(d).toEqual({ ok: true, builder: "buildah", runtime: "podman", notes: [] });
  });

  it("with GitHub sign-in and no buildah/podman, says plainly what to install", () => {
    const d = decideIsolation({ ...base, githubSignIn: true });
    expect(d.ok).toBe(false);
    expect(!d.ok && d.message).toMatch(/GitHub sign-in is enabled/);
    expect(!d.ok && d.message).toMatch(/apt-get install buildah podman/);
  });

  it.each([
    [
      { builder: "process" as const, githubSignIn: true },
      /KLI8NT_BUILDER=process is refused: GitHub sign-in/,
    ],
    [
      { runtime: "process" as const, githubSignIn: true },
      /KLI8NT_RUNTIME=process is refused: GitHub sign-in/,
    ],
    [
      { builder: "process" as const, host: "0.0.0.0" },
      /KLI8NT_BUILDER=process is refused: KLI8NT_HOST=0.0.0.0 is not a loopback/,
    ],
    [
      { runtime: "process" as const, host: "192.168.1.5", hasBuildah: true },
      /KLI8NT_RUNTIME=process is refused/,
    ],
  ])("refuses the process builder/runtime when shared (%o)", (overrides, why) => {
    const d = decideIsolation({ ...base, hasBuildah: true, hasPodman: true, ...overrides });
    expect(d.ok).toBe(false);
    expect(!d.ok && d.message).toMatch(why);
    expect(!d.ok && d.message).toMatch(/Install buildah and podman/);
  });
});

describe("kli8nt start", () => {
  it("fails with a config error, before starting anything, for the process builder with GitHub sign-in", async () => {
    let stderr = "";
    const io = {
      stdout: { write: () => true },
      stderr: {
        write: (s: string) => {
          stderr += s;
          return true;
        },
      },
    } as unknown as Parameters<typeof startCommand>[1];
    const code = await startCommand([], io, {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      KLI8NT_DATA_DIR: "/nonexistent/never-created",
      KLI8NT_BUILDER: "process",
      KLI8NT_RUNTIME: "process",
      KLI8NT_GITHUB_CLIENT_ID: "Iv1.test",
      KLI8NT_GITHUB_CLIENT_SECRET: "test-secret",
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(/KLI8NT_BUILDER=process is refused: GitHub sign-in is enabled/);
    expect(stderr).toMatch(/KLI8NT_RUNTIME=process is refused/);
  });
});
