import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { failUnderCi } from "@kli8nt/testkit";
import { describe, expect, it } from "vitest";
import { containerEnvFromProcess, withServedSample } from "./testing/index.ts";

// Real builds of the compiled classes of issue 26 (Go, Rust, Java): rendered Dockerfile → buildah → podman →
// HTTP 200 with the app's own content. Base images from start_containers (scripts/infra/containers.sh).
const exec = promisify(execFile);
const cenv = containerEnvFromProcess(process.env);
failUnderCi(
  cenv === null,
  "KLI8NT_TEST_CONTAINERS/KLI8NT_TEST_BASE_IMAGES missing: run start_containers (scripts/infra/containers.sh)",
);
const serve = (
  name: string,
  check: Parameters<typeof withServedSample>[3],
  args: Record<string, string> = {},
) => {
  if (cenv === null) throw new Error("start_containers has not run");
  const dir = join(import.meta.dirname, "..", "fixtures", name);
  return withServedSample(dir, `localhost/kli8nt-test/${name}:latest`, cenv, check, args);
};
// Maven Central under its other host name: proves the mirror settings (settings.xml, mvnw's MVNW_REPOURL)
// are read, with no mirror server of our own. KLI8NT_TEST_MAVEN_MIRROR points elsewhere when needed.
const MAVEN_MIRROR = process.env.KLI8NT_TEST_MAVEN_MIRROR ?? "https://repo1.maven.org/maven2";

describe.skipIf(cenv === null)("real compiled builds (buildah + podman)", { timeout: 900_000 }, () => {
  it("Gin app loading templates/*.html and static/ from its working directory; Heroku's bin/<name> Procfile", async () => {
    await serve("sample-go-gin", async (s) => {
      expect(s.plan).toMatchObject({ provider: "go", framework: "gin", keepRepoFiles: true });
      expect(s.plan.start).toBe("/usr/local/bin/app");
      const page = await s.get("/");
      expect(page.status).toBe(200);
      expect(page.body).toContain("<h1>hello from gin templates</h1>");
      expect(await s.get("/static/site.css")).toEqual({ status: 200, body: "h1 { color: olive }\n" });
      console.info(`sample-go-gin built in ${s.buildMs} ms`);
    });
  });

  it("go.mod with go 1.14 (a minimum no image has) builds with a supported toolchain", async () => {
    await serve("sample-go-legacy", async (s) => {
      expect(s.plan.runtimeVersions.go).toBe("1.24");
      expect(s.plan.warnings.join()).toMatch(/go 1.14 is a minimum/);
      expect(s.dockerfile).not.toContain("golang:1.14");
      const page = await s.get("/");
      expect(page.status).toBe(200);
      expect(page.body).toMatch(/^hello from a go 1.14 module, built by go1\.\d+/);
      console.info(`sample-go-legacy built in ${s.buildMs} ms`);
    });
  });

  it("Spring Boot, jar-based Maven wrapper (.mvn/wrapper/maven-wrapper.jar) through a Maven mirror; Heroku's java -jar target/… Procfile", async () => {
    await serve(
      "sample-spring-maven",
      async (s) => {
        expect(s.plan).toMatchObject({ provider: "java", framework: "spring-boot", keepRepoFiles: false });
        expect(s.plan.start).toBe("java -Dserver.port=$PORT $JAVA_OPTS -jar /app/app.jar");
        expect(await s.get("/")).toEqual({ status: 200, body: "hello from spring boot on java 17\n" });
        console.info(`sample-spring-maven built in ${s.buildMs} ms`);
      },
      { MAVEN_MIRROR },
    );
  });

  it("Gradle without a wrapper (the builder's Gradle), init script mirror on an old Gradle, jar from build/libs", async () => {
    await serve(
      "sample-java-gradle",
      async (s) => {
        expect(s.plan).toMatchObject({ provider: "java", packageManager: "gradle", keepRepoFiles: false });
        expect(await s.get("/")).toEqual({ status: 200, body: "hello from a gradle build\n" });
        console.info(`sample-java-gradle built in ${s.buildMs} ms`);
      },
      { MAVEN_MIRROR },
    );
  });

  it("Rust axum from crates.io: the dependency layer, then the real binary reading static/ from its working directory", async () => {
    const rustImage = cenv?.baseImages.rust ?? "rust";
    await exec("podman", ["image", "exists", rustImage]).catch((err: unknown) => {
      throw new Error(
        `base image ${rustImage} is missing: start_containers builds it from the host's Rust toolchain (rustc --print sysroot); install rustup's stable toolchain on this machine`,
        { cause: err },
      );
    });
    await serve("sample-rust-axum", async (s) => {
      expect(s.plan).toMatchObject({ provider: "rust", keepRepoFiles: true, start: "/usr/local/bin/app" });
      expect(await s.get("/")).toEqual({
        status: 200,
        body: "hello from axum: read from static/ at run time\n",
      });
      console.info(`sample-rust-axum built in ${s.buildMs} ms`);
    });
  });
});
