import { describe, expect, it } from "vitest";
import { checkAppsDomainSite } from "./site-check.ts";

describe("checkAppsDomainSite", () => {
  it("flags an apps domain under the dashboard's registrable domain, with the reason", () => {
    const r = checkAppsDomainSite("https://kli8nt.example.com", "apps.example.com");
    expect(r.ok).toBe(false);
    expect(r.message).toContain("same-site with the dashboard");
    expect(checkAppsDomainSite("https://example.com", "example.com").ok).toBe(false);
    expect(checkAppsDomainSite("https://dash.acme.co.uk", "*.apps.acme.co.uk").ok).toBe(false);
  });

  it("accepts a registrable domain of the apps' own, public suffixes included", () => {
    expect(checkAppsDomainSite("https://kli8nt.example.com", "example-apps.com").ok).toBe(true);
    expect(checkAppsDomainSite("https://dash.acme.co.uk", "apps.other.co.uk").ok).toBe(true);
  });

  it("says so when the public URL is not a URL", () => {
    expect(checkAppsDomainSite("kli8nt.example.com", "apps.example.net")).toMatchObject({ ok: false });
  });
});
