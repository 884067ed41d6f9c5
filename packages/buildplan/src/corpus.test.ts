import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { detect } from "./detect.ts";

const fixture = (id: string) => detect(join(import.meta.dirname, "..", "fixtures", id));

// One test per row of shared/corpus/build-plans.md, asserting its "Assert (ours)" column.
describe("build-plans corpus G01–G21", () => {
  it("G01 node + npm: engines 20, npm ci, build, start", async () => {
    const p = await fixture("g01-node-npm");
    expect(p).toMatchObject({ provider: "node", packageManager: "npm", install: ["npm ci"] });
    expect(p.runtimeVersions.node).toBe("20");
    expect(p.versionSource.node).toBe("engines");
    expect(p.build).toEqual(["npm run build"]);
    expect(p.start).toBe("npm run start");
  });

  it("G02 yarn 1: yarn installed first (no image is assumed to have it), npm run start at run time", async () => {
    const p = await fixture("g02-node-yarn1");
    expect(p.packageManager).toBe("yarn1");
    expect(p.install[0]).toMatch(/corepack install -g yarn@1 .*\|\| npm install -g yarn@1$/);
    expect(p.install[1]).toBe("yarn install --frozen-lockfile");
    expect(p.build).toEqual([]);
    expect(p.start).toBe("npm run start");
  });

  it("G02b yarn berry via packageManager: corepack + yarn install --immutable", async () => {
    const p = await fixture("g02b-node-yarn-berry");
    expect(p.packageManager).toBe("yarn-berry");
    expect(p.install[0]).toMatch(
      /corepack install -g yarn@4\.5\.0 .*\|\| npm install -g @yarnpkg\/cli-dist@4\.5\.0$/,
    );
    expect(p.install[1]).toBe("yarn install --immutable");
  });

  it("G03 pnpm: frozen lockfile, pnpm major from the lockfile header", async () => {
    const p = await fixture("g03-node-pnpm");
    expect(p.packageManager).toBe("pnpm");
    expect(p.install[0]).toMatch(/\|\| npm install -g pnpm@9$/);
    expect(p.install[1]).toBe("pnpm install --frozen-lockfile");
    expect(p.build).toEqual(["pnpm run build"]);
    expect(p.start).toBe("npm run start");
  });

  it("G04 Next.js server: npm run build, npm run start", async () => {
    const p = await fixture("g04-nextjs");
    expect(p).toMatchObject({
      provider: "node",
      framework: "nextjs",
      build: ["npm run build"],
      start: "npm run start",
    });
    expect(p.env.NEXT_TELEMETRY_DISABLED).toBe("1");
  });

  it("G04b Next.js static export: static site from out/", async () => {
    const p = await fixture("g04b-nextjs-export");
    expect(p).toMatchObject({
      provider: "static",
      framework: "nextjs",
      staticOutputDir: "out",
      build: ["npm run build"],
    });
  });

  it("G05 Vite SPA: static from dist/, served by a static server", async () => {
    const p = await fixture("g05-vite-react");
    expect(p).toMatchObject({
      provider: "static",
      framework: "vite",
      staticOutputDir: "dist",
      packageManager: "npm",
    });
    expect(p.start).toMatch(/^caddy run/);
  });

  it("G06 plain HTML: static with root .", async () => {
    const p = await fixture("g06-static-html");
    expect(p).toMatchObject({ provider: "static", staticOutputDir: ".", packageManager: null, install: [] });
  });

  it("G07 pip: venv, python main.py", async () => {
    const p = await fixture("g07-python-pip");
    expect(p).toMatchObject({ provider: "python", packageManager: "pip", start: "python main.py" });
    expect(p.install).toEqual(["python -m venv /opt/venv", "pip install -r requirements.txt"]);
  });

  it("G08 poetry ≥ 2: --only main, never --no-dev", async () => {
    const p = await fixture("g08-python-poetry");
    expect(p.packageManager).toBe("poetry");
    expect(p.install).toContain("poetry install --only main --no-root --no-interaction --no-ansi");
    expect(p.install.join(" ")).not.toContain("--no-dev");
  });

  it("G09 uv: two-phase sync, python from .python-version", async () => {
    const p = await fixture("g09-python-uv");
    expect(p.packageManager).toBe("uv");
    expect(p.install.at(-1)).toBe("uv sync --locked --no-dev --no-install-project");
    expect(p.build).toEqual(["uv sync --locked --no-dev --no-editable"]);
    expect(p.runtimeVersions.python).toBe("3.12");
    expect(p.versionSource.python).toBe(".python-version");
  });

  it("G10 Django: gunicorn on $PORT from WSGI_APPLICATION, migrate as release step", async () => {
    const p = await fixture("g10-django");
    expect(p.framework).toBe("django");
    expect(p.start).toBe("gunicorn --bind 0.0.0.0:$PORT mysite.wsgi:application");
    expect(p.releaseCommand).toBe("python manage.py migrate");
    expect(p.start).not.toContain("migrate");
  });

  it("G11 Flask: gunicorn main:app", async () => {
    const p = await fixture("g11-flask");
    expect(p).toMatchObject({ framework: "flask", start: "gunicorn --bind 0.0.0.0:$PORT main:app" });
  });

  it("G11b Flask in app.py: module is the detected file", async () => {
    expect((await fixture("g11b-flask-app-py")).start).toBe("gunicorn --bind 0.0.0.0:$PORT app:app");
  });

  it("G12 FastAPI: uvicorn main:app on $PORT", async () => {
    const p = await fixture("g12-fastapi");
    expect(p).toMatchObject({ framework: "fastapi", start: "uvicorn main:app --host 0.0.0.0 --port $PORT" });
  });

  it("G13 Go: version from go.mod, static stripped binary", async () => {
    const p = await fixture("g13-go");
    expect(p).toMatchObject({
      provider: "go",
      runtimeVersions: { go: "1.22" },
      versionSource: { go: "go.mod" },
    });
    expect(p.build).toEqual(['CGO_ENABLED=0 go build -ldflags="-w -s" -o /out/app .']);
  });

  it("G13b Go with cmd/: first sorted cmd folder", async () => {
    expect((await fixture("g13b-go-cmd")).build[0]).toMatch(/ \.\/cmd\/server$/);
  });

  it("G14 Rust: binary from the package name, dependency-only layer first", async () => {
    const p = await fixture("g14-rust");
    expect(p.provider).toBe("rust");
    expect(p.install[0]).toContain("fn main() {}");
    expect(p.build).toContain("mkdir -p /out && cp target/release/hello /out/app");
    expect(p.env.ROCKET_ADDRESS).toBe("0.0.0.0");
  });

  it("G15 Rails: production env, assets with a dummy secret, migrations as release step", async () => {
    const p = await fixture("g15-rails");
    expect(p).toMatchObject({ provider: "ruby", framework: "rails", runtimeVersions: { ruby: "3.3" } });
    expect(p.env).toMatchObject({
      RAILS_ENV: "production",
      RAILS_LOG_TO_STDOUT: "1",
      RAILS_SERVE_STATIC_FILES: "1",
    });
    expect(p.build[0]).toBe("SECRET_KEY_BASE_DUMMY=1 bundle exec rake assets:precompile");
    expect(p.start).toBe("bundle exec bin/rails server -b 0.0.0.0 -p $PORT -e $RAILS_ENV");
    expect(p.releaseCommand).toBe("bundle exec rails db:migrate");
  });

  it("G16 Laravel: php, docroot public/, Node build stage", async () => {
    const p = await fixture("g16-laravel");
    expect(p).toMatchObject({ provider: "php", framework: "laravel", staticOutputDir: "public" });
    expect(p.nodeBuild).toEqual({ packageManager: "npm", install: ["npm ci"], build: ["npm run build"] });
  });

  it("G16b plain PHP: docroot ., PHP pinned by us", async () => {
    const p = await fixture("g16b-php");
    expect(p).toMatchObject({ provider: "php", staticOutputDir: ".", runtimeVersions: { php: "8.3" } });
  });

  it("G17 Maven Spring Boot: JDK 21 default, jar on a JRE image", async () => {
    const p = await fixture("g17-java-maven");
    expect(p).toMatchObject({ provider: "java", framework: "spring-boot", packageManager: "maven" });
    expect(p.runtimeVersions.java).toBe("21");
    expect(p.build[0]).toBe("./mvnw -B -DskipTests clean package");
  });

  it("G17b Gradle: jar glob covers build/libs and */build/libs, excludes -plain.jar", async () => {
    const p = await fixture("g17b-java-gradle");
    expect(p.build[0]).toBe("./gradlew --no-daemon clean build -x check -x test");
    expect(p.build[1]).toContain("build/libs/*.jar */build/libs/*.jar");
    expect(p.build[1]).toContain("grep -v -- '-plain.jar$'");
  });

  it("G18 Deno: deno task start", async () => {
    expect(await fixture("g18-deno")).toMatchObject({ provider: "deno", start: "deno task start" });
  });

  it("G19 Bun: frozen lockfile, bun index.ts", async () => {
    const p = await fixture("g19-bun");
    expect(p).toMatchObject({
      packageManager: "bun",
      install: ["bun install --frozen-lockfile"],
      start: "bun index.ts",
    });
    expect(p.runtimeVersions.bun).toBe("1");
  });

  it("G20 own Dockerfile: used unchanged, detection skipped and said why", async () => {
    const p = await fixture("g20-dockerfile");
    expect(p).toMatchObject({ provider: "dockerfile", start: null, install: [], packageManager: null });
    expect(p.warnings.join()).toMatch(/Dockerfile unchanged/);
  });

  it("G21 Procfile: web starts, worker listed, release is pre-deploy", async () => {
    const p = await fixture("g21-procfile");
    expect(p.start).toBe("gunicorn app:app --bind 0.0.0.0:$PORT");
    expect(p.processes).toEqual({ worker: "celery -A tasks worker" });
    expect(p.releaseCommand).toBe("flask db upgrade");
    expect(p.build).toEqual([]);
  });
});
