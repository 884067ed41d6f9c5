import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError, loadEnvConfig } from "./env-config.ts";
import { envSettings } from "./env-settings.ts";
import { isKli8ntError } from "./errors.ts";

const schema = z
  .object({
    KLI8NT_PORT: z.coerce.number().int().min(1).default(8080),
    KLI8NT_TOKEN: z.string().min(8, "KLI8NT_TOKEN must be at least 8 characters").optional(),
    KLI8NT_CA_FILE: z.string().optional(),
    PATH: z.string().default("/bin"),
  })
  .transform((env) => ({
    port: env.KLI8NT_PORT,
    token: env.KLI8NT_TOKEN,
    caFile: env.KLI8NT_CA_FILE,
    path: env.PATH,
  }));

const load = (env: Record<string, string | undefined>) => loadEnvConfig("test", schema, env);

function secretFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "env-config-")), "secret");
  writeFileSync(path, text);
  return path;
}

describe("loadEnvConfig", () => {
  it("reads KLI8NT_* and declared names only, empty values as unset, into a frozen object", () => {
    const config = load({ KLI8NT_PORT: "9000", KLI8NT_TOKEN: "", PATH: "/usr/bin", HOME: "/root" });
    expect(config).toEqual({ port: 9000, token: undefined, caFile: undefined, path: "/usr/bin" });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("reads <NAME>_FILE as NAME's value, unless NAME is set or <NAME>_FILE is a setting itself", () => {
    const file = secretFile("s3cretvalue\n");
    expect(load({ KLI8NT_TOKEN_FILE: file }).token).toBe("s3cretvalue");
    expect(load({ KLI8NT_TOKEN_FILE: file, KLI8NT_TOKEN: "directvalue" }).token).toBe("directvalue");
    expect(() => load({ KLI8NT_TOKEN_FILE: secretFile("short") })).toThrow(
      /KLI8NT_TOKEN: KLI8NT_TOKEN must be at least 8/,
    );
    expect(load({ KLI8NT_CA_FILE: "/etc/ca.pem" }).caFile).toBe("/etc/ca.pem");
    // Not a setting of this component: its file is not read (another component may own it).
    expect(() => load({ KLI8NT_OTHER_FILE: "/nonexistent/kli8nt" })).not.toThrow();
  });

  it("lists every problem, unreadable files included, in one ConfigError with code CONFIG_INVALID", () => {
    let caught: unknown;
    try {
      load({ KLI8NT_PORT: "zero", KLI8NT_TOKEN_FILE: "/nonexistent/kli8nt" });
    } catch (error) {
      caught = error;
    }
    expect(isKli8ntError(caught) && caught.code).toBe("CONFIG_INVALID");
    expect(caught).toBeInstanceOf(ConfigError);
    const error = caught as ConfigError;
    expect(error.issues.map((issue) => issue.path)).toEqual(["KLI8NT_TOKEN_FILE", "KLI8NT_PORT"]);
    expect(error.message).toMatch(
      /^Invalid test configuration:\n {2}KLI8NT_TOKEN_FILE: cannot read \/nonexistent\/kli8nt \(ENOENT\)\n {2}KLI8NT_PORT: .+$/,
    );
  });

  it("declares the names of both sides of an intersection", () => {
    const both = z.object({ KLI8NT_A: z.string() }).and(z.object({ HOME: z.string() }));
    expect(loadEnvConfig("test", both, { KLI8NT_A: "a", HOME: "/h", USER: "u" })).toEqual({
      KLI8NT_A: "a",
      HOME: "/h",
    });
  });
});

describe("envSettings", () => {
  const shared = z.object({
    KLI8NT_ALLOW: envSettings.boolean().default(false),
    KLI8NT_LOG_LEVEL: envSettings.logLevel(),
    KLI8NT_MAP: envSettings.jsonStringMap("KLI8NT_MAP").optional(),
  });

  it("reads the settings several components share the same way everywhere", () => {
    expect(loadEnvConfig("test", shared, { KLI8NT_ALLOW: "yes", KLI8NT_MAP: '{"a":"b"}' })).toEqual({
      KLI8NT_ALLOW: true,
      KLI8NT_LOG_LEVEL: "info",
      KLI8NT_MAP: { a: "b" },
    });
    expect(() => loadEnvConfig("test", shared, { KLI8NT_MAP: "[1]", KLI8NT_LOG_LEVEL: "loud" })).toThrow(
      /KLI8NT_LOG_LEVEL: [\s\S]*KLI8NT_MAP: KLI8NT_MAP must be a JSON object of strings/,
    );
  });
});
