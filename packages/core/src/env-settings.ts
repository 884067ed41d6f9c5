import { z } from "zod";

/**
 * Settings more than one component reads, declared once so that the same variable means the same thing
 * everywhere (the loaders themselves are `loadEnvConfig` declarations).
 */
export const envSettings = {
  /** true/false, 1/0, yes/no. */
  boolean: () =>
    z
      .enum(["true", "false", "1", "0", "yes", "no"])
      .transform((v) => v === "true" || v === "1" || v === "yes"),
  logLevel: () => z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** KLI8NT_DATABASE_URL. */
  postgresUrl: () => z.string().regex(/^postgres(ql)?:\/\//, "KLI8NT_DATABASE_URL must be a postgres:// URL"),
  /** KLI8NT_RABBITMQ_URL. */
  amqpUrl: () => z.string().regex(/^amqps?:\/\//, "KLI8NT_RABBITMQ_URL must be an amqp:// or amqps:// URL"),
  /** KLI8NT_SECRET_KEY where it must be usable: the api's key, which encrypts app secrets. */
  secretKey: () =>
    z
      .string()
      .refine(
        (v) => (/^[0-9a-f]{64}$/i.test(v) ? true : Buffer.from(v, "base64").length === 32),
        "KLI8NT_SECRET_KEY must hold 32 bytes as base64 or 64 hex characters (the api's key)",
      ),
  /** A JSON object of strings, e.g. KLI8NT_BASE_IMAGES; `example` completes the message. */
  jsonStringMap: (name: string, example = "") =>
    z.string().transform((text, ctx) => {
      try {
        return z.record(z.string(), z.string()).parse(JSON.parse(text));
      } catch {
        ctx.addIssue({ code: "custom", message: `${name} must be a JSON object of strings${example}` });
        return z.NEVER;
      }
    }),
};
