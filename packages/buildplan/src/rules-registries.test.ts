import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { detect } from "./detect.ts";
import { registryBuildArgs, registrySettingsFromEnv } from "./render/registry-args.ts";
import { wrapperRewrite } from "./render/registry-setup.ts";
import { render } from "./render/render.ts";
import { makeRepo, removeRepo } from "./test-repo.ts";

const made: string[] = [];
async function repo(files: Record<string, string>) {
  const dir = await makeRepo(files);
  made.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(made.splice(0).map(removeRepo));
});

const POM = "<project><parent><groupId>org.springframework.boot</groupId></parent></project>";
const MVN_PROPS =
  "distributionUrl=https://repo.maven.apache.org/maven2/org/apache/maven/apache-maven/3.9.9/apache-maven-3.9.9-bin.zip\n";

describe("rule: build wrappers of every generation", () => {
  it("jar-based Maven wrapper: the whole .mvn folder is copied (maven-wrapper.jar too) and not ignored", async () => {
    const p = await detect(
      await repo({
        "pom.xml": POM,
        mvnw: "#!/bin/sh\n",
        ".mvn/wrapper/maven-wrapper.jar": "PK",
        ".mvn/wrapper/maven-wrapper.properties": MVN_PROPS,
        ".mvn/jvm.config": "-Xmx1g",
      }),
    );
    expect(p.manifests).toEqual([
      "pom.xml",
      "mvnw",
      ".mvn/jvm.config",
      ".mvn/wrapper/maven-wrapper.jar",
      ".mvn/wrapper/maven-wrapper.properties",
    ]);
    const { dockerfile, dockerignore } = render(p);
    expect(dockerfile).toContain(
      'COPY [".mvn/wrapper/maven-wrapper.jar",".mvn/wrapper/maven-wrapper.properties",".mvn/wrapper/"]',
    );
    expect(dockerfile).toContain("ENV MVNW_REPOURL=${MAVEN_MIRROR}");
    expect(dockerignore).not.toContain("maven-wrapper.jar");
  });

  it("script-only Maven wrapper (distributionType=only-script) needs just mvnw and the properties", async () => {
    const p = await detect(
      await repo({
        "pom.xml": POM,
        mvnw: "#!/bin/sh\n",
        ".mvn/wrapper/maven-wrapper.properties": `distributionType=only-script\n${MVN_PROPS}`,
      }),
    );
    expect(p.manifests).toEqual(["pom.xml", "mvnw", ".mvn/wrapper/maven-wrapper.properties"]);
    expect(p.install).toEqual(["chmod +x mvnw", "./mvnw -B dependency:go-offline"]);
  });

  it("Gradle wrapper: wrapper jar, properties and version catalog copied; the distribution URL is rewritten to the mirror before each run", async () => {
    const dir = await repo({
      "settings.gradle.kts": "",
      "build.gradle.kts": 'plugins { id("org.springframework.boot") version "3.3.5" }',
      gradlew: "#!/bin/sh\n",
      "gradle/wrapper/gradle-wrapper.jar": "PK",
      "gradle/wrapper/gradle-wrapper.properties":
        "distributionUrl=https\\://services.gradle.org/distributions/gradle-8.10.2-bin.zip\n",
      "gradle/libs.versions.toml": "",
    });
    const p = await detect(dir);
    expect(p.manifests).toEqual(
      expect.arrayContaining([
        "gradle/libs.versions.toml",
        "gradle/wrapper/gradle-wrapper.jar",
        "gradle/wrapper/gradle-wrapper.properties",
      ]),
    );
    const { dockerfile } = render(p);
    const rewrite = wrapperRewrite(p) ?? "";
    expect(dockerfile).toContain(`RUN ${rewrite}; ./gradlew --no-daemon --version`);
    expect(dockerfile).toContain(`RUN ${rewrite}; ./gradlew --no-daemon clean build`);
    // The rewrite itself, run by a real shell: file name kept, host replaced.
    execFileSync("sh", ["-c", rewrite], {
      cwd: dir,
      env: { GRADLE_DISTRIBUTION_MIRROR: "https://m.corp/gradle/" },
    });
    expect(readFileSync(join(dir, "gradle/wrapper/gradle-wrapper.properties"), "utf8")).toBe(
      "distributionUrl=https://m.corp/gradle/gradle-8.10.2-bin.zip\n",
    );
    // Without a mirror the wrapper's own URL stays.
    writeFileSync(
      join(dir, "gradle/wrapper/gradle-wrapper.properties"),
      "distributionUrl=https://x/g-1-bin.zip\n",
    );
    execFileSync("sh", ["-c", rewrite], { cwd: dir, env: {} });
    expect(readFileSync(join(dir, "gradle/wrapper/gradle-wrapper.properties"), "utf8")).toContain(
      "https://x/",
    );
  });
});

describe("rule: registries and the build CA for every stack", () => {
  const config = {
    mavenMirror: "https://nexus.corp/maven-public/",
    gradleDistributionMirror: "https://nexus.corp/gradle-dist/",
    rubygemsMirror: "https://nexus.corp/gems/",
    composerMirror: "https://nexus.corp/packagist/",
    cargoMirror: "sparse+https://nexus.corp/cargo/",
    caFile: "/run/build-ca.crt",
  };

  it("reads every registry setting from its KLI8NT_* variable (the config of every builder)", () => {
    expect(
      registrySettingsFromEnv({
        KLI8NT_MAVEN_MIRROR: config.mavenMirror,
        KLI8NT_CARGO_MIRROR: config.cargoMirror,
        KLI8NT_RUBYGEMS_MIRROR: "",
      }),
    ).toEqual({ mavenMirror: config.mavenMirror, cargoMirror: config.cargoMirror });
  });

  it("maps each setting to the variable its tool reads", () => {
    expect(registryBuildArgs(config)).toMatchObject({
      MAVEN_MIRROR: config.mavenMirror,
      GRADLE_PLUGIN_MIRROR: config.mavenMirror,
      GRADLE_DISTRIBUTION_MIRROR: config.gradleDistributionMirror,
      BUNDLE_MIRROR__RUBYGEMS__ORG: config.rubygemsMirror,
      COMPOSER_MIRROR: config.composerMirror,
      CARGO_MIRROR: config.cargoMirror,
      CARGO_HTTP_CAINFO: "/run/build-ca.crt",
      SSL_CERT_FILE: "/run/build-ca.crt",
    });
  });

  it.each([
    [
      { "pom.xml": POM },
      ["MAVEN_MIRROR", "SSL_CERT_FILE"],
      ["settings.xml", "BuildCa.java", "kli8nt-mirror.gradle"],
    ],
    [{ "Cargo.toml": '[package]\nname = "a"\n' }, ["CARGO_MIRROR", "CARGO_HTTP_CAINFO"], ["replace-with"]],
    [{ Gemfile: "", "config.ru": "" }, ["BUNDLE_MIRROR__RUBYGEMS__ORG", "SSL_CERT_FILE"], []],
    [{ "composer.json": "{}", "index.php": "" }, ["COMPOSER_MIRROR"], ["repos.packagist"]],
  ])("declares the stack's ARGs and writes its config (%#)", async (files, args, setup) => {
    const { dockerfile } = render(await detect(await repo(files)), { registry: config });
    for (const a of args) expect(dockerfile).toMatch(new RegExp(`^ARG ${a}=`, "m"));
    for (const s of setup) expect(dockerfile).toContain(s);
    expect(dockerfile).not.toContain("ARG NPM_CONFIG_REGISTRY");
  });
});
