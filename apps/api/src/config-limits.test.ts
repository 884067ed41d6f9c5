import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.ts";

describe("config: sign-in allow-list, limits and browser origins (issue 19)", () => {
  it("reads the allow-lists as lowercased comma lists and the limits with their defaults", () => {
    const config = loadConfig({
      KLI8NT_GITHUB_ALLOWED_USERS: " Alice, bob ,",
      KLI8NT_GITHUB_ALLOWED_ORGS: "Acme",
      KLI8NT_MAX_APPS_PER_USER: "3",
    });
    expect(config.github.allowedUsers).toEqual(["alice", "bob"]);
    expect(config.github.allowedOrgs).toEqual(["acme"]);
    expect(config.limits).toEqual({
      requestsPerMinute: 1200,
      signInsPerMinute: 60,
      appsPerUser: 3,
      socketsPerUser: 20,
    });
    expect(loadConfig({}).github.allowedUsers).toEqual([]);
  });

  it("reports a bad list or limit by name", () => {
    expect(() => loadConfig({ KLI8NT_GITHUB_ALLOWED_ORGS: "acme; drop" })).toThrow(
      /KLI8NT_GITHUB_ALLOWED_ORGS/,
    );
    expect(() => loadConfig({ KLI8NT_MAX_SOCKETS_PER_USER: "0" })).toThrow(/KLI8NT_MAX_SOCKETS_PER_USER/);
  });

  it("accepts the public URL's origin only, or each loopback name of the port without one", () => {
    expect(loadConfig({ KLI8NT_PUBLIC_URL: "https://dash.example.com/" }).browserOrigins).toEqual([
      "https://dash.example.com",
    ]);
    expect(loadConfig({ KLI8NT_PORT: "9000" }).browserOrigins).toEqual([
      "http://127.0.0.1:9000",
      "http://localhost:9000",
      "http://[::1]:9000",
    ]);
    expect(loadConfig({ KLI8NT_HOST: "0.0.0.0" }).browserOrigins).toEqual(["http://0.0.0.0:8080"]);
  });
});
