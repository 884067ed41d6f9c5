import { afterEach, describe, expect, it } from "vitest";
import { detect } from "./detect.ts";
import { render } from "./render/render.ts";
import { makeRepo, removeRepo } from "./test-repo.ts";

const made: string[] = [];
async function plan(files: Record<string, string>) {
  const dir = await makeRepo(files);
  made.push(dir);
  return detect(dir);
}
afterEach(async () => {
  await Promise.all(made.splice(0).map(removeRepo));
});

const GO = { "go.mod": "module example.com/web\n\ngo 1.25\n", "main.go": "package main\n" };

describe("rule: compiled apps keep the repository's files when they may read them", () => {
  it("a Go app with templates/ keeps the files in /app and moves the binary out of their way", async () => {
    const p = await plan({ ...GO, "templates/index.html": "<h1>hi</h1>" });
    expect(p).toMatchObject({ keepRepoFiles: true, start: "/usr/local/bin/app" });
    const { dockerfile } = render(p);
    const runtime = dockerfile.slice(dockerfile.indexOf("AS runtime"));
    expect(runtime).toContain("WORKDIR /app");
    expect(runtime).toContain("COPY --chown=65532:65532 . /app/");
    expect(runtime).toContain("COPY --from=build /out/app /usr/local/bin/app");
  });

  it("code and docs only (Go, Rust, Spring Boot): binary-only runtime image", async () => {
    const go = await plan({ ...GO, "README.md": "", internal: "", ".github/x": "", LICENSE: "" });
    expect(go).toMatchObject({ keepRepoFiles: false, start: "/app/app" });
    expect(render(go).dockerfile).not.toContain("COPY --chown=65532:65532 . /app/");
    const rust = await plan({
      "Cargo.toml": '[package]\nname = "svc"\n',
      "Cargo.lock": "",
      "src/main.rs": "",
    });
    expect(rust.keepRepoFiles).toBe(false);
    const java = await plan({ "pom.xml": "<project/>", "src/main/java/A.java": "", mvnw: "", ".mvn/x": "" });
    expect(java.keepRepoFiles).toBe(false);
  });

  it("Rust and Java keep config/ and static files; Java's runtime stage has a working directory", async () => {
    const rust = await plan({
      "Cargo.toml": '[package]\nname = "svc"\n',
      "src/main.rs": "",
      "config.toml": "",
    });
    expect(rust).toMatchObject({ keepRepoFiles: true, start: "/usr/local/bin/app" });
    const java = await plan({ "build.gradle": "", "src/main/java/A.java": "", "config/app.yml": "" });
    expect(java.keepRepoFiles).toBe(true);
    const runtime = render(java).dockerfile.split("AS runtime")[1] ?? "";
    expect(runtime).toMatch(/WORKDIR \/app\n/);
    expect(runtime).toContain("COPY --chown=10001:10001 . /app/");
  });
});

describe("rule: Procfile commands written for someone else's build", () => {
  it("java -jar target/<name>.jar and build/libs/*.jar run the jar we built", async () => {
    const maven = await plan({
      "pom.xml": "<project/>",
      Procfile: "web: java -Dserver.port=$PORT $JAVA_OPTS -jar target/demo-0.0.1-SNAPSHOT.jar\n",
    });
    expect(maven.start).toBe("java -Dserver.port=$PORT $JAVA_OPTS -jar /app/app.jar");
    const gradle = await plan({ "build.gradle": "", Procfile: "web: java -jar build/libs/*.jar\n" });
    expect(gradle.start).toBe("java -jar /app/app.jar");
  });

  it("heroku-php-apache2 / vendor/bin/heroku-php-nginx <docroot> → FrankenPHP serving that root", async () => {
    const p = await plan({
      "composer.json": "{}",
      "web/index.php": "",
      Procfile: "web: vendor/bin/heroku-php-apache2 -C apache.conf web/\n",
    });
    expect(p).toMatchObject({
      staticOutputDir: "web",
      start: "frankenphp php-server --listen :$PORT --root web/",
    });
    expect(p.warnings.join()).toMatch(/translated Heroku's.*ignored -C apache.conf/);
    const bare = await plan({ "index.php": "", Procfile: "web: heroku-php-nginx\n" });
    expect(bare.start).toBe("frankenphp php-server --listen :$PORT --root ./");
  });

  it("Heroku's Go bin/<name> and Rust's target/release/<name> become our binary; $PORT moves Go off distroless", async () => {
    const go = await plan({ ...GO, Procfile: "web: bin/web -port $PORT\n" });
    expect(go.start).toBe("/app/app -port $PORT");
    expect(render(go).dockerfile).toMatch(/FROM debian:bookworm-slim AS runtime/);
    const rust = await plan({
      "Cargo.toml": '[package]\nname = "svc"\n',
      Procfile: "web: ./target/release/svc\n",
    });
    expect(rust.start).toBe("/app/app");
  });

  it("fails the plan with the reason when the image cannot run the command", async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [
        { "requirements.txt": "flask\n", Procfile: "web: heroku-php-apache2 x/\n" },
        /only in Heroku's buildpacks/,
      ],
      [
        { "requirements.txt": "flask\n", Procfile: "web: npm start\n" },
        /npm is not in the python runtime image/,
      ],
      [{ "pom.xml": "<project/>", Procfile: "web: ./mvnw spring-boot:run\n" }, /build tool/],
      [
        { "requirements.txt": "flask\n", Procfile: "web: bin/serve\n" },
        /bin\/serve is not in the repository/,
      ],
    ];
    for (const [files, why] of cases) {
      await expect(plan(files)).rejects.toMatchObject({
        code: "START_UNRUNNABLE",
        message: expect.stringMatching(why),
      });
    }
    // A Python server the dependencies do not install is a warning (it may come transitively).
    const noGunicorn = await plan({ "requirements.txt": "requests\n", Procfile: "web: gunicorn app:app\n" });
    expect(noGunicorn.warnings.join()).toMatch(/runs gunicorn, which no dependency declares/);
    const viaExtra = await plan({
      "requirements.txt": "fastapi[all]\n",
      Procfile: "web: uvicorn main:app\n",
    });
    expect(viaExtra.warnings.join()).not.toMatch(/no dependency declares/);
    // A script the repository holds is fine.
    const ok = await plan({
      "requirements.txt": "flask\n",
      "bin/serve": "#!/bin/sh\n",
      Procfile: "web: bin/serve\n",
    });
    expect(ok.start).toBe("bin/serve");
  });
});

describe("rule: the go directive is a minimum", () => {
  it("go 1.14 builds with a supported toolchain (never golang:1.14-bookworm) and warns", async () => {
    const p = await plan({ "go.mod": "module legacy\n\ngo 1.14\n", "main.go": "" });
    expect(p.runtimeVersions.go).toBe("1.24");
    expect(p.warnings.join()).toMatch(/go 1.14 is a minimum and is out of support; building with go 1.24/);
    expect(render(p).dockerfile).toContain("FROM golang:1.24-bookworm AS build");
  });
});
