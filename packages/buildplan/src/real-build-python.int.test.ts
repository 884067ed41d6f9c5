import { join } from "node:path";
import { failUnderCi } from "@kli8nt/testkit";
import { describe, expect, it } from "vitest";
import { containerEnvFromProcess, withServedSample } from "./testing/index.ts";

// Real builds of the Python classes of issue 26: rendered Dockerfile → buildah → podman → HTTP 200 with the
// app's own content. Base images come from start_containers (scripts/infra/containers.sh); PyPI is reached
// through the host's CA bundle mounted at /run/build-ca.crt.
const cenv = containerEnvFromProcess(process.env);
failUnderCi(
  cenv === null,
  "KLI8NT_TEST_CONTAINERS/KLI8NT_TEST_BASE_IMAGES missing: run start_containers (scripts/infra/containers.sh)",
);
const fixture = (name: string) => join(import.meta.dirname, "..", "fixtures", name);
const tag = (name: string) => `localhost/kli8nt-test/${name}:latest`;
const serve = (name: string, check: Parameters<typeof withServedSample>[3]) => {
  if (cenv === null) throw new Error("start_containers has not run");
  return withServedSample(fixture(name), tag(name), cenv, check);
};

describe.skipIf(cenv === null)("real Python builds (buildah + podman)", { timeout: 900_000 }, () => {
  it("Django + WhiteNoise manifest storage: collectstatic at build, page and hashed static file answer 200; psycopg2 from source", async () => {
    await serve("sample-django", async (s) => {
      expect(s.plan).toMatchObject({ provider: "python", framework: "django" });
      expect(s.plan.systemPackages).toEqual({ build: ["gcc", "libpq-dev"], runtime: ["libpq5"] });
      const page = await s.get("/");
      expect(page.status).toBe(200);
      expect(page.body).toContain("<h1>hello from django</h1>");
      expect(page.body).toMatch(/psycopg2 2\.9\.\d+/);
      // Manifest storage renders the hashed name, which only exists because collectstatic ran at build time.
      const css = page.body.match(/href="(\/static\/pages\/site\.[0-9a-f]{12}\.css)"/)?.[1];
      expect(css).toBeDefined();
      const file = await s.get(css ?? "");
      expect(file.status).toBe(200);
      expect(file.body).toContain("h1 { color: teal }");
      console.info(`sample-django built in ${s.buildMs} ms`);
    });
  });

  it("FastAPI with fastapi[standard] (uvicorn through the extra), no uvicorn warning", async () => {
    await serve("sample-fastapi", async (s) => {
      expect(s.plan).toMatchObject({ provider: "python", framework: "fastapi" });
      expect(s.plan.warnings).toEqual([]);
      const root = await s.get("/");
      expect(root).toEqual({ status: 200, body: "hello from fastapi\n" });
      const item = await s.get("/items/42");
      expect(JSON.parse(item.body)).toEqual({ item_id: 42 });
      console.info(`sample-fastapi built in ${s.buildMs} ms`);
    });
  });
});
