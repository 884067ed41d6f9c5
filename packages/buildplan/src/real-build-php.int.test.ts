import { join } from "node:path";
import { failUnderCi } from "@kli8nt/testkit";
import { describe, expect, it } from "vitest";
import { containerEnvFromProcess, withServedSample } from "./testing/index.ts";

// Real build of a Laravel-shaped PHP app: composer (no Packagist: packagist.org is unreachable here), the
// artisan caches of the Laravel rule, public/ as document root, and Heroku's heroku-php-apache2 Procfile
// translated. The local php image runs FrankenPHP's command through PHP's built-in server (ADR 0154).
const cenv = containerEnvFromProcess(process.env);
failUnderCi(
  cenv === null,
  "KLI8NT_TEST_CONTAINERS/KLI8NT_TEST_BASE_IMAGES missing: run start_containers (scripts/infra/containers.sh)",
);
const fixture = join(import.meta.dirname, "..", "fixtures", "sample-laravel-shaped");

describe.skipIf(cenv === null)("real PHP build (buildah + podman)", { timeout: 900_000 }, () => {
  it("Laravel-shaped app: composer install, artisan config/route/view caches, heroku-php-apache2 public/ → document root", async () => {
    if (cenv === null) throw new Error("start_containers has not run");
    await withServedSample(fixture, "localhost/kli8nt-test/sample-laravel-shaped:latest", cenv, async (s) => {
      expect(s.plan).toMatchObject({ provider: "php", framework: "laravel", staticOutputDir: "public" });
      expect(s.plan.start).toBe("frankenphp php-server --listen :$PORT --root public/");
      expect(s.plan.warnings.join()).toMatch(
        /translated Heroku's "vendor\/bin\/heroku-php-apache2 public\/"/,
      );
      // Served only from bootstrap/cache, which exists only because the build ran the artisan caches.
      expect(await s.get("/")).toEqual({ status: 200, body: "<h1>hello from laravel-shaped</h1>\n" });
      console.info(`sample-laravel-shaped built in ${s.buildMs} ms`);
    });
  });
});
