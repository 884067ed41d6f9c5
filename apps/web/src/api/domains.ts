import { api } from "./client.ts";

export type DomainStatus = "pending" | "active" | "error";

/** One custom domain (`GET /api/apps/:name/domains`, issue 25). */
export interface Domain {
  readonly hostname: string;
  readonly wildcard: boolean;
  readonly status: DomainStatus;
  /** What to do next: the DNS record to create, or why the certificate failed. */
  readonly detail: string;
  /** The app's default host: what a CNAME record points at. */
  readonly target: string;
  readonly certificate: { readonly notAfter: string; readonly issuedAt: string | null } | null;
  readonly createdAt: string;
}

const domains = (name: string) => `/api/apps/${encodeURIComponent(name)}/domains`;

export const listDomains = (name: string) => api<{ items: Domain[] }>("GET", domains(name));
export const addDomain = (name: string, hostname: string) => api<Domain>("POST", domains(name), { hostname });
export const removeDomain = (name: string, hostname: string) =>
  api<void>("DELETE", `${domains(name)}/${encodeURIComponent(hostname)}`);
