import { dumpYaml } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { customDomainName, customDomainProblem, renderCustomDomain } from "./custom-domains.ts";
import type { ManifestApp } from "./inputs.ts";
import { isDns1123Subdomain, isLabelValue } from "./names.ts";
import { resolveSettings } from "./settings.ts";

const app: ManifestApp = { id: "app_5f0c2a7e9b1d4c3a8e6f0b2d4c6a8e0f", name: "hello" };
const settings = resolveSettings({ appsDomain: "apps.example.com" });

describe("renderCustomDomain", () => {
  it("renders a pending domain as plain HTTP and its Certificate (golden)", async () => {
    const d = renderCustomDomain(app, { hostname: "www.example.com", certificateReady: false }, settings);
    expect(d.ingress.spec?.tls).toBeUndefined();
    expect(d.ingress.metadata?.annotations?.["nginx.ingress.kubernetes.io/ssl-redirect"]).toBe("false");
    await expect(`---\n${dumpYaml(d.ingress)}---\n${dumpYaml(d.certificate)}`).toMatchFileSnapshot(
      "fixtures/hello-custom-domain.yaml",
    );
  });

  it("adds TLS and the redirect once the certificate is issued", () => {
    const d = renderCustomDomain(app, { hostname: "www.example.com", certificateReady: true }, settings);
    expect(d.ingress.spec?.tls).toEqual([{ hosts: ["www.example.com"], secretName: d.tlsSecret }]);
    expect(d.ingress.metadata?.annotations?.["nginx.ingress.kubernetes.io/ssl-redirect"]).toBe("true");
    // No issuer annotation: ingress-shim would make a second Certificate for the same Secret.
    expect(Object.keys(d.ingress.metadata?.annotations ?? {}).some((k) => k.startsWith("cert-manager"))).toBe(
      false,
    );
  });

  it("takes the issuer from the platform's certificateIssuer setting", () => {
    const custom = resolveSettings({
      appsDomain: "apps.example.com",
      certificateIssuer: { kind: "Issuer", name: "internal-ca" },
    });
    const d = renderCustomDomain(app, { hostname: "shop.example.org", certificateReady: false }, custom);
    expect(d.certificate.spec.issuerRef).toEqual({
      kind: "Issuer",
      name: "internal-ca",
      group: "cert-manager.io",
    });
    expect(d.certificate.metadata?.namespace).toBe("kli8nt-app-hello");
    expect(d.ingress.spec?.rules?.[0]?.http?.paths[0]?.backend.service).toEqual({
      name: "hello",
      port: { number: 80 },
    });
  });

  it("refuses hostnames that are not DNS names, listing the problem", () => {
    for (const bad of [
      "localhost",
      "WWW.example.com",
      "a..b",
      "-a.example.com",
      "a.*.example.com",
      "x_y.com",
    ]) {
      expect(() => renderCustomDomain(app, { hostname: bad, certificateReady: false }, settings)).toThrow(
        expect.objectContaining({ code: "MANIFEST_INPUT_INVALID" }),
      );
    }
    expect(customDomainProblem(`${"a".repeat(64)}.example.com`)).toMatch(/DNS label/);
    expect(customDomainProblem(`${"a.".repeat(127)}com`)).toMatch(/253/);
    expect(customDomainProblem("*.example.com")).toBeNull();
  });
});

describe("customDomainName", () => {
  it("is readable, bounded and tells look-alike hosts apart", () => {
    expect(customDomainName(app, "www.example.com")).toMatch(/^hello-www-example-com-[0-9a-f]{8}$/);
    expect(customDomainName(app, "a-b.c.io")).not.toBe(customDomainName(app, "a.b-c.io"));
    expect(customDomainName(app, "*.example.com")).toMatch(/^hello-wildcard-example-com-/);
    const longApp = { id: "app_x", name: "a".repeat(63) };
    const longHost = `${"b".repeat(63)}.${"c".repeat(63)}.example.com`;
    for (const [a, h] of [
      [longApp, "www.example.com"],
      [app, longHost],
      [longApp, longHost],
    ] as const) {
      const name = customDomainName(a, h);
      expect(name.length).toBeLessThanOrEqual(59);
      expect(isLabelValue(`${name}-tls`)).toBe(true);
      expect(isDns1123Subdomain(name)).toBe(true);
    }
  });
});
