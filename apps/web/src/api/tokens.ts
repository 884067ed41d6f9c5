import { api } from "./client.ts";

export interface ApiToken {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly expiresAt: string | null;
}

export const listTokens = () => api<{ items: ApiToken[] }>("GET", "/api/tokens");
export const createToken = (name: string, expiresInDays: number | null) =>
  api<ApiToken & { token: string }>("POST", "/api/tokens", { name, expiresInDays });
export const revokeToken = (id: string) => api<void>("DELETE", `/api/tokens/${encodeURIComponent(id)}`);
