import type { DomainRow } from "@kli8nt/db";
import { describe, expect, it } from "vitest";
import { domainDetail } from "./dns-advice.ts";

const row = (state: Partial<DomainRow>): DomainRow =>
  ({
    hostname: "www.example.com",
    status: "pending",
    detail: null,
    certNotAfter: null,
    ...state,
  }) as DomainRow;

describe("domainDetail", () => {
  it("gives a pending domain the DNS step, then why its challenge has not passed when the cluster says", () => {
    const plain = domainDetail(row({}), "shop.apps.example.net");
    expect(plain).toBe(
      "Create a CNAME record www.example.com → shop.apps.example.net; the certificate is requested once it resolves here. Served over HTTP meanwhile",
    );
    const reason = "failed to perform self check GET request: no such host";
    expect(domainDetail(row({ detail: reason }), "shop.apps.example.net")).toBe(
      `${plain}. The last check said: ${reason}`,
    );
  });

  it("says an errored domain's reason before the DNS step", () => {
    const detail = domainDetail(
      row({ status: "error", detail: "the ACME challenge has not passed" }),
      "t.net",
    );
    expect(detail).toMatch(
      /^The certificate could not be obtained: the ACME challenge has not passed\. Create/,
    );
  });
});
