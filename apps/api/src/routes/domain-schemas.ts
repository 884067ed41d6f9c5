import { z } from "zod";
import { appNameParams } from "../schemas.ts";

export const domainCreateBody = z.strictObject({
  hostname: z
    .string()
    .min(1)
    .max(300)
    .describe("www.example.com, or *.example.com (administrators only); unicode is stored as punycode"),
});

export const domainParams = appNameParams.extend({ hostname: z.string().min(1).max(300) });

export const domainView = z.object({
  hostname: z.string().describe("Lowercased ASCII (punycode), without a trailing dot"),
  wildcard: z.boolean(),
  status: z.enum(["pending", "active", "error"]),
  detail: z.string().describe("What to do next: the DNS record to create, or why the certificate failed"),
  target: z.string().describe("The app's default host: what a CNAME record points at"),
  certificate: z
    .object({ notAfter: z.string(), issuedAt: z.string().nullable(), issuer: z.string().nullable() })
    .nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
