import { afterEach, describe, expect, it } from "vitest";
import { detect } from "./detect.ts";
import { makeRepo, removeRepo } from "./test-repo.ts";

const made: string[] = [];
async function plan(files: Record<string, string>, settings?: Parameters<typeof detect>[1]) {
  const dir = await makeRepo(files);
  made.push(dir);
  return detect(dir, settings);
}
afterEach(async () => {
  await Promise.all(made.splice(0).map(removeRepo));
});

const pkg = (o: object) => JSON.stringify(o);

describe("rule: own Dockerfile and overrides", () => {
  it("a root Dockerfile wins over every other manifest", async () => {
    const p = await plan({ Dockerfile: "FROM x", "go.mod": "module a\ngo 1.22\n", "index.html": "" });
    expect(p.provider).toBe("dockerfile");
  });

  it("kli8nt.json overrides detected commands and versions; settings override kli8nt.json", async () => {
    const files = {
      "package.json": pkg({ scripts: { start: "node a.js" }, engines: { node: "20.x" } }),
      "package-lock.json": "{}",
      "kli8nt.json": pkg({
        start: "node b.js",
        build: ["make"],
        runtimeVersions: { node: "22" },
        port: 4000,
      }),
    };
    const fromRepo = await plan(files);
    expect(fromRepo).toMatchObject({ start: "node b.js", build: ["make"], port: 4000 });
    expect(fromRepo.runtimeVersions.node).toBe("22");
    expect(fromRepo.versionSource.node).toBe("kli8nt.json");
    const fromSettings = await plan(files, {
      settings: { start: "node c.js", runtimeVersions: { node: "24" } },
    });
    expect(fromSettings.start).toBe("node c.js");
    expect(fromSettings.versionSource.node).toBe("settings");
    expect(fromSettings.runtimeVersions.node).toBe("24");
  });

  it("an invalid kli8nt.json is a warning, not a failure", async () => {
    const p = await plan({ "index.html": "", "kli8nt.json": "{ nope" });
    expect(p.provider).toBe("static");
    expect(p.warnings).toContain("ignored kli8nt.json: invalid JSON");
  });
});

describe("rule: provider order", () => {
  it("php, go, java, rust, ruby, elixir, deno come before node/python, which come before static and start.sh", async () => {
    const all = {
      "composer.json": "{}",
      "go.mod": "module a\n",
      "pom.xml": "<project/>",
      "Cargo.toml": '[package]\nname="a"\n',
      Gemfile: "",
      "mix.exs": "",
      "deno.json": "{}",
      "package.json": pkg({ scripts: { start: "node ." } }),
      "requirements.txt": "",
      "index.html": "",
      "start.sh": "",
    };
    const order = [
      "php",
      "go",
      "java",
      "rust",
      "ruby",
      "elixir",
      "deno",
      "node",
      "python",
      "static",
      "shell",
    ];
    const keys = Object.keys(all) as (keyof typeof all)[];
    for (let i = 0; i < keys.length; i++) {
      const files = Object.fromEntries(keys.slice(i).map((k) => [k, all[k]]));
      if (keys[i] === "package.json") files["requirements.txt"] = "";
      const expected = order[i] === "python" ? "python" : order[i];
      expect((await plan(files)).provider, `with ${keys.slice(i).join(",")}`).toBe(expected);
    }
  });

  it("node and python: node with a start script or web framework, else python; both warn", async () => {
    const withStart = await plan({
      "package.json": pkg({ scripts: { start: "node s.js" } }),
      "requirements.txt": "",
    });
    expect(withStart.provider).toBe("node");
    expect(withStart.warnings.join()).toMatch(/both package.json and Python/);
    const withExpress = await plan({
      "package.json": pkg({ dependencies: { express: "4" } }),
      "requirements.txt": "",
    });
    expect(withExpress.provider).toBe("node");
    const tooling = await plan({
      "package.json": pkg({ devDependencies: { prettier: "3" } }),
      "requirements.txt": "",
    });
    expect(tooling.provider).toBe("python");
    expect(tooling.warnings.join()).toMatch(/building as python/);
  });

  it("mixed Ruby/PHP/Go repo with a package.json build script gets a Node build stage", async () => {
    for (const manifest of [{ Gemfile: "" }, { "composer.json": "{}" }, { "go.mod": "module a\n" }]) {
      const p = await plan({ ...manifest, "package.json": pkg({ scripts: { build: "vite build" } }) });
      expect(p.nodeBuild?.build).toEqual(["npm run build"]);
    }
    const noBuild = await plan({ Gemfile: "", "package.json": pkg({ scripts: { lint: "x" } }) });
    expect(noBuild.nodeBuild).toBeNull();
  });
});

describe("rule: package manager", () => {
  it("the packageManager field wins over lockfiles", async () => {
    const p = await plan({
      "package.json": pkg({ packageManager: "pnpm@8.15.0" }),
      "package-lock.json": "{}",
    });
    expect(p.packageManager).toBe("pnpm");
    // The exact version of the field, through corepack where it works, else npm.
    expect(p.install[0]).toBe(
      '(command -v corepack >/dev/null 2>&1 && corepack install -g pnpm@8.15.0 && corepack enable --install-directory "$(npm prefix -g)/bin" pnpm) || npm install -g pnpm@8.15.0',
    );
  });

  it("lockfile precedence pnpm, bun, yarn, npm; several lockfiles warn", async () => {
    const p = await plan({
      "package.json": "{}",
      "yarn.lock": "",
      "package-lock.json": "{}",
      "bun.lock": "",
    });
    expect(p.packageManager).toBe("bun");
    expect(p.warnings.join()).toMatch(/several lockfiles/);
    expect((await plan({ "package.json": "{}", "yarn.lock": "", "pnpm-lock.yaml": "" })).packageManager).toBe(
      "pnpm",
    );
  });

  it("no lockfile: npm install with a warning", async () => {
    const p = await plan({ "package.json": pkg({ scripts: { start: "node ." } }) });
    expect(p.install).toEqual(["npm install"]);
    expect(p.warnings.join()).toMatch(/no lockfile/);
  });
});

describe("rule: runtime versions", () => {
  it("reads .nvmrc lts/*, .node-version, .tool-versions and records the source", async () => {
    const nvm = await plan({ "package.json": "{}", ".nvmrc": "lts/*\n" });
    expect(nvm.runtimeVersions.node).toBe("24");
    expect(nvm.versionSource.node).toBe(".nvmrc");
    const nv = await plan({ "package.json": "{}", ".node-version": "v20.11.1" });
    expect(nv.runtimeVersions.node).toBe("20");
    const tv = await plan({ "package.json": "{}", ".tool-versions": "python 3.11.4\nnodejs 18.19.0\n" });
    expect(tv).toMatchObject({ runtimeVersions: { node: "18" }, versionSource: { node: ".tool-versions" } });
  });

  it("an unbounded range resolves to the newest supported major and warns", async () => {
    const p = await plan({ "package.json": pkg({ engines: { node: ">=18" } }) });
    expect(p.runtimeVersions.node).toBe("24");
    expect(p.warnings.join()).toMatch(/no upper bound/);
  });

  it("python from runtime.txt and pyproject requires-python; ruby from Gemfile; php from composer.json", async () => {
    const rt = await plan({ "requirements.txt": "", "runtime.txt": "python-3.11.9" });
    expect(rt).toMatchObject({
      runtimeVersions: { python: "3.11" },
      versionSource: { python: "runtime.txt" },
    });
    const pp = await plan({ "pyproject.toml": '[project]\nname="a"\nrequires-python=">=3.10,<3.12"\n' });
    expect(pp.runtimeVersions.python).toBe("3.11");
    const rb = await plan({ Gemfile: 'ruby "3.2.2"\n' });
    expect(rb).toMatchObject({ runtimeVersions: { ruby: "3.2" }, versionSource: { ruby: "Gemfile" } });
    const php = await plan({ "composer.json": pkg({ require: { php: "~8.2.0" } }) });
    expect(php.runtimeVersions.php).toBe("8.2");
  });
});

describe("rule: Procfile", () => {
  it("without web: alphabetically first process, no HTTP port, release kept apart", async () => {
    const p = await plan({
      "requirements.txt": "",
      "main.py": "",
      Procfile: "worker: python w.py\nclock: python c.py\nrelease: python m.py\n",
    });
    expect(p.start).toBe("python c.py");
    expect(p.port).toBeNull();
    expect(p.processes).toEqual({ clock: "python c.py", worker: "python w.py" });
    expect(p.releaseCommand).toBe("python m.py");
    expect(p.warnings.join()).toMatch(/no web process/);
  });

  it("keeps colons inside commands (line parser, not YAML)", async () => {
    const p = await plan({ "go.mod": "module a\n", "main.go": "", Procfile: "web: ./app --addr=:$PORT\n" });
    // The colon survives; ./app (built by hand on Heroku-like platforms) becomes the binary we built.
    expect(p.start).toBe("/app/app --addr=:$PORT");
  });
});

describe("rule: static sites and SPAs", () => {
  it("root index.html, else public/, else dist/", async () => {
    expect((await plan({ "index.html": "", "public/index.html": "" })).staticOutputDir).toBe(".");
    expect((await plan({ "public/index.html": "", "dist/index.html": "" })).staticOutputDir).toBe("public");
    expect((await plan({ "dist/index.html": "" })).staticOutputDir).toBe("dist");
  });

  it("a Staticfile root: wins; deno.jsonc with comments is read", async () => {
    const sf = await plan({ Staticfile: "root: site/\n", "site/index.html": "", "index.html": "" });
    expect(sf.staticOutputDir).toBe("site");
    const deno = await plan({
      "deno.jsonc": '{\n  // tasks\n  "tasks": { "start": "deno run -A main.ts" } /* x */\n}',
      "main.ts": "",
    });
    expect(deno).toMatchObject({ provider: "deno", start: "deno task start" });
  });

  it("psycopg loads libpq at run time (pure Python, nothing to compile); the binary wheel needs nothing", async () => {
    const src = await plan({ "requirements.txt": "psycopg==3.2\n", "main.py": "" });
    expect(src.systemPackages).toEqual({ build: [], runtime: ["libpq5"] });
    const wheel = await plan({
      "requirements.txt": "psycopg[binary]==3.2\npsycopg2-binary\n",
      "main.py": "",
    });
    expect(wheel.systemPackages).toEqual({ build: [], runtime: [] });
  });

  it("CRA, Angular and static Astro are SPAs; a Vite app with its own start script is a Node server", async () => {
    expect(
      await plan({
        "package.json": pkg({ dependencies: { "react-scripts": "5" }, scripts: { build: "x" } }),
      }),
    ).toMatchObject({ provider: "static", staticOutputDir: "build" });
    const ng = { projects: { shop: { architect: { build: { options: { outputPath: "dist/shop" } } } } } };
    const angular = await plan({
      "package.json": pkg({ dependencies: { "@angular/core": "18" } }),
      "angular.json": pkg(ng),
    });
    expect(angular.staticOutputDir).toBe("dist/shop");
    expect((await plan({ "package.json": pkg({ dependencies: { astro: "4" } }) })).provider).toBe("static");
    const viteOut = await plan({
      "package.json": pkg({ devDependencies: { vite: "6" }, scripts: { build: "vite build --outDir web" } }),
    });
    expect(viteOut.staticOutputDir).toBe("web");
    const server = await plan({
      "package.json": pkg({ devDependencies: { vite: "6" }, scripts: { start: "node server.js" } }),
    });
    expect(server).toMatchObject({ provider: "node", start: "npm run start" });
  });
});
