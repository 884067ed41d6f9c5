import { afterEach, describe, expect, it } from "vitest";
import { parseRequirement, readPythonDeps } from "./detect/python-deps.ts";
import { detect } from "./detect.ts";
import { render } from "./render/render.ts";
import { RepoTree } from "./repo-tree.ts";
import { makeRepo, removeRepo } from "./test-repo.ts";

const made: string[] = [];
async function repo(files: Record<string, string>) {
  const dir = await makeRepo(files);
  made.push(dir);
  return dir;
}
/** Shell parameter expansion in expected commands (a plain string, not a template). */
const sh = (name: string, fallback: string) => `\${${name}:-${fallback}}`;
const plan = async (files: Record<string, string>) => detect(await repo(files));
afterEach(async () => {
  await Promise.all(made.splice(0).map(removeRepo));
});

const manage = (module: string) =>
  `import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "${module}")\n`;
const SETTINGS = `INSTALLED_APPS = ["django.contrib.admin", "django.contrib.staticfiles"]
WSGI_APPLICATION = "shop.wsgi.application"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {"staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}
`;

describe("rule: Django collectstatic at build time", () => {
  it("runs collectstatic with the settings module manage.py names; a failure fails the build with manifest storage", async () => {
    const p = await plan({
      "requirements.txt": "Django\nwhitenoise\ngunicorn\n",
      "manage.py": manage("shop.settings.prod"),
      "shop/settings/prod.py": SETTINGS,
    });
    expect(p.start).toBe("gunicorn --bind 0.0.0.0:$PORT shop.wsgi:application");
    expect(p.build).toHaveLength(1);
    expect(p.build[0]).toContain(
      `DJANGO_SETTINGS_MODULE="${sh("DJANGO_SETTINGS_MODULE", "shop.settings.prod")}" python manage.py collectstatic --noinput`,
    );
    expect(p.build[0]).toContain("exit 1");
  });

  it("a settings package (__init__.py + base.py) is read as a whole; without manifest storage a failure only warns", async () => {
    const p = await plan({
      "requirements.txt": "django>=5\n",
      "manage.py": manage("site_cfg.settings"),
      "site_cfg/settings/__init__.py": "from .base import *\n",
      "site_cfg/settings/base.py":
        'INSTALLED_APPS = ["django.contrib.staticfiles"]\nSTATIC_ROOT = "static"\nSECRET_KEY = os.environ["SECRET_KEY"]\n',
    });
    expect(p.build[0]).toContain(`SECRET_KEY="${sh("SECRET_KEY", "kli8nt-build-placeholder")}"`);
    expect(p.build[0]).toContain("kli8nt: warning: collectstatic failed");
    expect(p.build[0]).not.toContain("exit 1");
    expect(p.warnings.join("\n")).toMatch(/placeholder values for SECRET_KEY/);
  });

  it("no staticfiles app: no collectstatic; staticfiles without STATIC_ROOT: a clear warning instead", async () => {
    const without = await plan({
      "requirements.txt": "django\n",
      "manage.py": manage("api.settings"),
      "api/settings.py": 'INSTALLED_APPS = ["rest_framework"]\n',
    });
    expect(without.build).toEqual([]);
    const noRoot = await plan({
      "requirements.txt": "django\n",
      "manage.py": manage("api.settings"),
      "api/settings.py": 'INSTALLED_APPS = ["django.contrib.staticfiles"]\n',
    });
    expect(noRoot.build).toEqual([]);
    expect(noRoot.warnings.join("\n")).toMatch(/without STATIC_ROOT.*collectstatic cannot run/);
  });

  it("unreadable settings: collectstatic still runs, tolerant, with a warning", async () => {
    const p = await plan({ "requirements.txt": "django\n", "manage.py": "print('custom')\n" });
    expect(p.build[0]).toContain("python manage.py collectstatic --noinput ||");
    expect(p.warnings.join("\n")).toMatch(/Django settings not readable/);
  });
});

describe("rule: Python dependencies and extras", () => {
  it("parses PEP 508 names with extras, markers and comments", () => {
    expect(parseRequirement("FastAPI[standard, all] >=0.110 ; python_version>'3.8' # web")).toEqual({
      name: "fastapi",
      extras: ["standard", "all"],
    });
    expect(parseRequirement("Flask_SQLAlchemy==3.1")).toEqual({ name: "flask-sqlalchemy", extras: [] });
    expect(parseRequirement("--index-url https://x")).toBeNull();
    expect(parseRequirement("# comment")).toBeNull();
  });

  it("fastapi[standard] / fastapi[all] bring uvicorn: no false warning; bare fastapi still warns", async () => {
    for (const req of ["fastapi[standard]==0.115.0\n", "fastapi[all]\n"]) {
      const p = await plan({ "requirements.txt": req, "main.py": "app = FastAPI()\n" });
      expect(p.framework).toBe("fastapi");
      expect(p.warnings.filter((w) => w.includes("uvicorn"))).toEqual([]);
    }
    const bare = await plan({ "requirements.txt": "fastapi\n", "main.py": "app = FastAPI()\n" });
    expect(bare.warnings).toContain("fastapi app without uvicorn in its dependencies");
  });

  it("reads extras from pyproject (PEP 621 and Poetry tables), Pipfile and -r includes", async () => {
    const dir = await repo({
      "requirements.txt": "-r requirements/base.txt\n",
      "requirements/base.txt": "lxml\n-r ../escape.txt\n",
      "pyproject.toml":
        '[project]\ndependencies = ["fastapi[standard]"]\n[tool.poetry.dependencies]\npython = "^3.12"\npsycopg = { version = "^3", extras = ["c"] }\n',
      Pipfile: '[packages]\nmysqlclient = "*"\n',
    });
    const deps = await readPythonDeps(await RepoTree.open(dir));
    expect([...deps.keys()].sort()).toEqual(["fastapi", "lxml", "mysqlclient", "psycopg"]);
    expect([...(deps.get("psycopg") ?? [])]).toEqual(["c"]);
  });

  it("a worker-only Procfile plans a worker: no port, no EXPOSE, the worker command starts", async () => {
    const p = await plan({
      "requirements.txt": "celery[redis]\n",
      "tasks.py": "",
      Procfile: "worker: celery -A tasks worker --loglevel=info\n",
    });
    expect(p).toMatchObject({ port: null, start: "celery -A tasks worker --loglevel=info" });
    const { dockerfile } = render(p);
    expect(dockerfile).not.toMatch(/EXPOSE|ENV PORT/);
    expect(dockerfile).toContain("exec celery -A tasks worker --loglevel=info");
  });
});

describe("rule: native dependencies", () => {
  it("fills systemPackages from the table: headers + compiler at build, shared libraries at run time", async () => {
    const p = await plan({
      "requirements.txt": "psycopg2==2.9.9\nmysqlclient\nlxml\nPillow\n",
      "main.py": "",
    });
    expect(p.systemPackages.build).toEqual(
      expect.arrayContaining([
        "gcc",
        "libpq-dev",
        "default-libmysqlclient-dev",
        "libxml2-dev",
        "libxslt1-dev",
      ]),
    );
    expect(p.systemPackages.runtime).toEqual(
      expect.arrayContaining(["libpq5", "libmariadb3", "libxml2", "libxslt1.1", "libjpeg62-turbo"]),
    );
    const binary = await plan({ "requirements.txt": "psycopg2-binary\npsycopg[binary]\n", "main.py": "" });
    expect(binary.systemPackages).toEqual({ build: [], runtime: [] });
  });

  it("Ruby: gems from the Gemfile and the lock (transitive nokogiri), precompiled platform gems need nothing", async () => {
    const lock =
      "GEM\n  specs:\n    nokogiri (1.16.7)\n      mini_portile2\n    pg (1.5.9)\n    mysql2 (0.5.6)\n";
    const p = await plan({ Gemfile: 'gem "rails"\ngem "pg"\n', "Gemfile.lock": lock, "config.ru": "" });
    expect(p.systemPackages.build).toEqual(
      expect.arrayContaining([
        "build-essential",
        "libpq-dev",
        "libxml2-dev",
        "libxslt1-dev",
        "default-libmysqlclient-dev",
      ]),
    );
    expect(p.systemPackages.runtime).toEqual(["libmariadb3", "libpq5", "libxml2", "libxslt1.1"]);
    const binary = await plan({
      Gemfile: 'gem "nokogiri"\n',
      "Gemfile.lock": "GEM\n  specs:\n    nokogiri (1.16.7-x86_64-linux)\n",
      "config.ru": "",
    });
    expect(binary.systemPackages.runtime).toEqual([]);
  });
});
