import { describe, expect, it } from "vitest";
import { needsCertificate, renewalTime, retryDelayMs } from "./renewal.ts";

const DAY = 86_400_000;
const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms);

describe("certificate renewal schedule", () => {
  it("renews a 90-day certificate 30 days before it ends", () => {
    expect(renewalTime(at(0), at(90 * DAY))).toEqual(at(60 * DAY));
  });

  it("renews a short one a third of its lifetime before it ends", () => {
    expect(renewalTime(at(0), at(6 * DAY))).toEqual(at(4 * DAY));
    expect(renewalTime(at(0), at(30_000))).toEqual(at(20_000));
  });

  it("caps the margin at 30 days for long certificates", () => {
    expect(renewalTime(at(0), at(365 * DAY))).toEqual(at(335 * DAY));
  });

  it("needs a certificate when there is none or it is due", () => {
    expect(needsCertificate(null, at(0))).toBe(true);
    const cert = { issuedAt: at(0), notAfter: at(90 * DAY) };
    expect(needsCertificate(cert, at(59 * DAY))).toBe(false);
    expect(needsCertificate(cert, at(60 * DAY))).toBe(true);
    expect(needsCertificate(cert, at(91 * DAY))).toBe(true);
  });

  it("backs off failed orders, doubling to a cap", () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, 300_000, 6 * 3_600_000))).toEqual([
      300_000, 600_000, 1_200_000, 2_400_000,
    ]);
    expect(retryDelayMs(40, 300_000, 6 * 3_600_000)).toBe(6 * 3_600_000);
  });
});
