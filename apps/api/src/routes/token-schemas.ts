import { z } from "zod";

/** Longest lifetime a token can be given: a year, plus a leap day. */
export const MAX_TOKEN_DAYS = 366;
/** Default lifetime when the request does not say; `null` asks for a token that never expires. */
export const DEFAULT_TOKEN_DAYS = 90;

export const tokenCreateBody = z.object({
  // Printable: no control, format or unassigned characters, so a name cannot reshape a terminal or a log.
  name: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .regex(/^\P{C}+$/u, "Use printable characters only"),
  expiresInDays: z.number().int().min(1).max(MAX_TOKEN_DAYS).nullable().default(DEFAULT_TOKEN_DAYS),
});

export const tokenView = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  /** Recorded to the minute: the api writes it at most once a minute per token. */
  lastUsedAt: z.string().nullable(),
  expiresAt: z.string().nullable(),
});

/** The only answer that ever carries the token itself. */
export const tokenCreatedView = tokenView.extend({ token: z.string() });

export const tokenListView = z.object({ items: z.array(tokenView) });

export const tokenIdParams = z.object({ id: z.string().min(1).max(64) });

export function tokenToView(token: {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
  readonly expiresAt: Date | null;
}): z.infer<typeof tokenView> {
  return {
    id: token.id,
    name: token.name,
    createdAt: token.createdAt.toISOString(),
    lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
    expiresAt: token.expiresAt?.toISOString() ?? null,
  };
}
