import pino, { type Logger } from "pino";
import { safePath } from "./safe-path.ts";

/** Paths pino blanks in every line, wherever a token or secret could end up in a logged object. */
export const REDACT_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  'res.headers["set-cookie"]',
  "token",
  "accessToken",
  "refreshToken",
  "password",
  "secret",
  "clientSecret",
  "*.token",
  "*.accessToken",
  "*.refreshToken",
  "*.password",
  "*.secret",
  "*.clientSecret",
  "*.value",
  "headers.authorization",
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      base: { service: "kli8nt-api" },
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: {
        // Fastify's request serializer logs the raw URL; ours drops query strings and sign-in tokens.
        req: (req: { method?: string; url?: string; id?: string }) => ({
          id: req.id,
          method: req.method,
          url: safePath(req.url ?? ""),
        }),
      },
    },
    destination,
  );
}
