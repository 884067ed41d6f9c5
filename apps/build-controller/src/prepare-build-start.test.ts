import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { prepareBuild } from "./prepare-build.ts";
import { createLocalRepo } from "./testing/local-repo.ts";

// ADR 0152: a start command the built image could not run fails the build with its reason, not as
// "stack undetected".
describe("prepareBuild with a start command written for another platform", () => {
  it("fails with BUILD_UNSUPPORTED and the reason", async () => {
    const repo = createLocalRepo({
      "requirements.txt": "flask\n",
      Procfile: "web: heroku-php-apache2 web/\n",
    });
    const scratch = mkdtempSync(join(tmpdir(), "kli8nt-prep-start-"));
    await expect(prepareBuild(repo.dir, scratch, ".", {})).rejects.toMatchObject({
      code: "BUILD_UNSUPPORTED",
      message: expect.stringMatching(/heroku-php-apache2 exists only in Heroku's buildpacks/),
    });
  });
});
