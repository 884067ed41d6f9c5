import type { BuildPlan } from "../types.ts";

/**
 * Per-toolchain setup that turns the registry build args (registry-args.ts) into the files each tool reads:
 * Maven's settings.xml, a Gradle init script, Composer's global config, Cargo's source replacement, and the
 * JDK's trust store for the build CA (Java reads no SSL_CERT_FILE). Every step is a no-op when its ARG is
 * empty, so one Dockerfile serves both plain and mirrored builds. Written with printf: no heredocs (Kaniko).
 */

/**
 * Adds every certificate of the build CA bundle to the build JDK's own cacerts (never the runtime image's).
 * One JVM run (single-file source launch) instead of one keytool run per certificate.
 */
const JAVA_TRUST = [
  "import java.io.*;import java.nio.file.*;import java.security.*;import java.security.cert.*;",
  "public class BuildCa{public static void main(String[] a)throws Exception{",
  'Path p=Paths.get(System.getProperty("java.home"),"lib","security","cacerts").toRealPath();char[] pw="changeit".toCharArray();',
  "KeyStore k=KeyStore.getInstance(KeyStore.getDefaultType());try(InputStream in=Files.newInputStream(p)){k.load(in,pw);}",
  'int i=0;try(InputStream in=new FileInputStream(a[0])){for(java.security.cert.Certificate c:CertificateFactory.getInstance("X.509").generateCertificates(in))k.setCertificateEntry("kli8nt-build-ca-"+(i++),c);}',
  'try(OutputStream o=Files.newOutputStream(p)){k.store(o,pw);}System.out.println("kli8nt: the build JDK trusts "+i+" build CA certificates");}}',
];

/** Points Maven Central / the plugin portal repositories of any Gradle build at the mirrors (URL rewrite). */
const GRADLE_INIT = [
  'def m = System.getenv("MAVEN_MIRROR"); def p = System.getenv("GRADLE_PLUGIN_MIRROR") ?: m',
  'def fix = { r -> if (r instanceof MavenArtifactRepository) { def h = r.url.host; if (m && (h == "repo.maven.apache.org" || h == "repo1.maven.org")) r.url = m; else if (p && h == "plugins.gradle.org") r.url = p } }',
  // `all` (not configureEach, Gradle 4.9+) and a guarded beforeSettings (Gradle 6+) keep old Gradle working.
  "try { beforeSettings { s -> s.pluginManagement.repositories.all(fix); try { s.dependencyResolutionManagement.repositories.all(fix) } catch (Exception ignored) {} } } catch (MissingMethodException ignored) {}",
  "allprojects { buildscript.repositories.all(fix); repositories.all(fix) }",
];

const quoteLines = (lines: string[]) => lines.map((l) => `'${l}'`).join(" ");

function javaSetup(): string {
  return [
    // set -e: a trust store that failed to build must fail here, not as a TLS error three steps later.
    'set -e; if [ -n "$SSL_CERT_FILE" ] && [ -f "$SSL_CERT_FILE" ]; then',
    `printf '%s\\n' ${quoteLines(JAVA_TRUST)} > /tmp/BuildCa.java && java /tmp/BuildCa.java "$SSL_CERT_FILE" && rm /tmp/BuildCa.java; fi;`,
    'mkdir -p "$HOME/.m2" "$HOME/.gradle/init.d";',
    'if [ -n "$MAVEN_MIRROR" ]; then',
    `printf '<settings><mirrors><mirror><id>kli8nt-mirror</id><mirrorOf>*</mirrorOf><url>%s</url></mirror></mirrors></settings>\\n' "$MAVEN_MIRROR" > "$HOME/.m2/settings.xml"; fi;`,
    'if [ -n "$MAVEN_MIRROR$GRADLE_PLUGIN_MIRROR" ]; then',
    `printf '%s\\n' ${quoteLines(GRADLE_INIT)} > "$HOME/.gradle/init.d/kli8nt-mirror.gradle"; fi`,
  ].join(" ");
}

const CARGO_SETUP = [
  'if [ -n "$CARGO_MIRROR" ]; then mkdir -p "${CARGO_HOME:-$HOME/.cargo}" &&',
  `printf '[source.crates-io]\\nreplace-with = "kli8nt-mirror"\\n[source.kli8nt-mirror]\\nregistry = "%s"\\n' "$CARGO_MIRROR" >> "\${CARGO_HOME:-$HOME/.cargo}/config.toml"; fi`,
].join(" ");

const COMPOSER_SETUP =
  'if [ -n "$COMPOSER_MIRROR" ]; then composer config -g repos.packagist composer "$COMPOSER_MIRROR"; fi';

/** RUN lines (as root, before the manifests are copied, so they stay cached) for the plan's toolchain. */
export function registrySetup(plan: BuildPlan): string[] {
  if (plan.provider === "java") return [`RUN ${javaSetup()}`];
  if (plan.provider === "rust") return [`RUN ${CARGO_SETUP}`];
  if (plan.packageManager === "composer") return [`RUN ${COMPOSER_SETUP}`];
  return [];
}

/**
 * The Gradle wrapper downloads its distribution from services.gradle.org; with a distribution mirror the
 * wrapper properties are rewritten (file name kept) before every wrapper run, since `COPY . .` restores them.
 */
export function wrapperRewrite(plan: BuildPlan): string | null {
  if (
    plan.packageManager !== "gradle" ||
    !plan.manifests.includes("gradle/wrapper/gradle-wrapper.properties")
  )
    return null;
  return 'if [ -n "$GRADLE_DISTRIBUTION_MIRROR" ]; then sed -i "s#^distributionUrl=.*/#distributionUrl=${GRADLE_DISTRIBUTION_MIRROR%/}/#" gradle/wrapper/gradle-wrapper.properties; fi';
}

/** Maven wrappers (jar-based and script-only) take their distribution's repository from MVNW_REPOURL. */
export const mavenWrapperEnv = (plan: BuildPlan): string[] =>
  plan.packageManager === "maven" && plan.manifests.includes("mvnw")
    ? ["ENV MVNW_REPOURL=${MAVEN_MIRROR}"]
    : [];
