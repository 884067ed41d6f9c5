import type { BuildPlan } from "../types.ts";

/**
 * Well-known packages that compile against, or load, a system library: Debian packages for the build stages
 * (headers, compiler) and for the runtime stage (the shared library). Package names are Debian bookworm's,
 * the distribution of every default base image (python:*-slim, ruby:*-slim…).
 */
interface NativeDep {
  build: string[];
  runtime: string[];
  /** Extras that switch to a prebuilt wheel / pure build (psycopg[binary]): then nothing is needed. */
  unlessExtra?: string[];
  /** Only with one of these extras (psycopg[c] compiles; plain psycopg only loads libpq). */
  onlyExtra?: string[];
}

const LIBPQ = { build: ["gcc", "libpq-dev"], runtime: ["libpq5"] };
const MYSQL = { build: ["gcc", "pkg-config", "default-libmysqlclient-dev"], runtime: ["libmariadb3"] };
const XML = { build: ["gcc", "libxml2-dev", "libxslt1-dev"], runtime: ["libxml2", "libxslt1.1"] };

/** Python distributions (PEP 503 names). Source builds also need Python.h, which python:*-slim ships. */
export const PYTHON_NATIVE: Record<string, NativeDep[]> = {
  psycopg2: [LIBPQ],
  // psycopg 3 is pure Python over libpq; [c] compiles its C speed-up, [binary] ships its own libpq.
  psycopg: [
    { build: [], runtime: ["libpq5"], unlessExtra: ["binary"] },
    { ...LIBPQ, onlyExtra: ["c"] },
  ],
  mysqlclient: [MYSQL],
  lxml: [XML],
  pillow: [{ build: ["gcc", "libjpeg62-turbo-dev", "zlib1g-dev"], runtime: ["libjpeg62-turbo", "zlib1g"] }],
  "python-ldap": [{ build: ["gcc", "libldap2-dev", "libsasl2-dev"], runtime: ["libldap-2.5-0"] }],
  pyodbc: [{ build: ["g++", "unixodbc-dev"], runtime: ["unixodbc"] }],
};

/** Ruby gems. build-essential comes with every Ruby plan (most Gemfiles have a native extension). */
export const RUBY_NATIVE: Record<string, NativeDep[]> = {
  pg: [{ build: ["libpq-dev"], runtime: ["libpq5"] }],
  mysql2: [{ build: ["default-libmysqlclient-dev"], runtime: ["libmariadb3"] }],
  // Nokogiri ships precompiled gems for common platforms, but falls back to (and some lockfiles pin) the
  // `ruby` platform, which links the system libxml2/libxslt.
  nokogiri: [{ build: ["pkg-config", "libxml2-dev", "libxslt1-dev"], runtime: ["libxml2", "libxslt1.1"] }],
  sqlite3: [{ build: ["libsqlite3-dev"], runtime: ["libsqlite3-0"] }],
  "ruby-vips": [{ build: [], runtime: ["libvips42"] }],
  mini_magick: [{ build: [], runtime: ["imagemagick"] }],
};

/**
 * Node addons. node-gyp needs python3, make and g++ whenever no prebuilt binary fits (bcrypt 5 fetches its
 * prebuilds from GitHub, so an offline or mirrored build compiles); sharp's prebuilt libvips needs nothing.
 */
const NODE_GYP = ["python3", "make", "g++"];
export const NODE_NATIVE: Record<string, NativeDep[]> = {
  bcrypt: [{ build: NODE_GYP, runtime: [] }],
  argon2: [{ build: NODE_GYP, runtime: [] }],
  "better-sqlite3": [{ build: NODE_GYP, runtime: [] }],
  sqlite3: [{ build: NODE_GYP, runtime: [] }],
  bufferutil: [{ build: NODE_GYP, runtime: [] }],
  "utf-8-validate": [{ build: NODE_GYP, runtime: [] }],
  "node-gyp": [{ build: NODE_GYP, runtime: [] }],
  canvas: [
    {
      build: [
        ...NODE_GYP,
        "pkg-config",
        "libcairo2-dev",
        "libpango1.0-dev",
        "libjpeg62-turbo-dev",
        "libgif-dev",
      ],
      runtime: ["libcairo2", "libpango-1.0-0", "libpangocairo-1.0-0", "libjpeg62-turbo", "libgif7"],
    },
  ],
  // sharp >= 0.33 ships libvips in its @img/sharp-* npm packages: nothing to add (listed so it is a decision).
  sharp: [{ build: [], runtime: [] }],
  "pg-native": [{ build: [...NODE_GYP, "libpq-dev"], runtime: ["libpq5"] }],
  libpq: [{ build: [...NODE_GYP, "libpq-dev"], runtime: ["libpq5"] }],
};

const applies = (dep: NativeDep, extras: Set<string>) =>
  !(dep.unlessExtra ?? []).some((e) => extras.has(e)) &&
  (dep.onlyExtra === undefined || dep.onlyExtra.some((e) => extras.has(e)));

/** Adds the system packages of every declared native dependency to the plan (sorted, no duplicates). */
export function addNativePackages(
  plan: BuildPlan,
  table: Record<string, NativeDep[]>,
  declared: Map<string, Set<string>>,
): string[] {
  const matched: string[] = [];
  const build = new Set(plan.systemPackages.build);
  const runtime = new Set(plan.systemPackages.runtime);
  for (const [name, extras] of declared) {
    const deps = (table[name] ?? []).filter((d) => applies(d, extras));
    if (deps.length > 0) matched.push(name);
    for (const d of deps) {
      for (const p of d.build) build.add(p);
      for (const p of d.runtime) runtime.add(p);
    }
  }
  plan.systemPackages = { build: [...build].sort(), runtime: [...runtime].sort() };
  return matched;
}

/**
 * Gems a Ruby app installs: the Gemfile's `gem "x"` lines and every spec of Gemfile.lock (transitive ones
 * such as nokogiri under rails). A locked platform gem (`nokogiri (1.16.7-x86_64-linux)`) is precompiled
 * and needs no headers, so it counts only when the lock also has its `ruby`-platform variant.
 */
export function rubyGems(gemfile: string, lock: string | null): Map<string, Set<string>> {
  const gems = new Map<string, Set<string>>();
  for (const m of gemfile.matchAll(/^\s*gem\s+["']([\w.-]+)["']/gm)) gems.set(m[1] as string, new Set());
  const precompiled = new Set<string>();
  const source = new Set<string>();
  for (const m of (lock ?? "").matchAll(/^ {4}([\w.-]+) \(([^)\s]+)\)$/gm)) {
    const platform = /-(x86_64|aarch64|arm64)-linux/.test(m[2] as string);
    (platform ? precompiled : source).add(m[1] as string);
  }
  for (const name of source) gems.set(name, new Set());
  for (const name of precompiled) if (!source.has(name)) gems.delete(name);
  return gems;
}
