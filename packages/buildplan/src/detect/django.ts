import type { RepoTree } from "../repo-tree.ts";
import type { BuildPlan } from "../types.ts";

/** The settings module manage.py sets (`os.environ.setdefault("DJANGO_SETTINGS_MODULE", "x.settings")`). */
export async function settingsModule(tree: RepoTree): Promise<string | null> {
  const manage = (await tree.read("manage.py")) ?? "";
  return manage.match(/DJANGO_SETTINGS_MODULE["']\s*,\s*["']([\w.]+)["']/)?.[1] ?? null;
}

/** The settings text: `a/b.py`, or a settings package's `__init__.py` plus its common split files. */
async function settingsText(tree: RepoTree, module: string): Promise<string | null> {
  const path = module.replace(/\./g, "/");
  const single = await tree.read(`${path}.py`);
  if (single !== null) return single;
  const parts = await Promise.all(
    ["__init__", "base", "common", "production", "prod"].map((f) => tree.read(`${path}/${f}.py`)),
  );
  const found = parts.filter((p): p is string => p !== null);
  return found.length > 0 ? found.join("\n") : null;
}

/** Environment variables the settings read with `os.environ["X"]`: importing them fails without the value. */
const requiredEnv = (settings: string) =>
  [...settings.matchAll(/os\.environ\[\s*["'](\w+)["']\s*\]/g)].map((m) => m[1] as string);

/**
 * Manifest storages (WhiteNoise's CompressedManifestStaticFilesStorage, Django's ManifestStaticFilesStorage)
 * answer 500 on every page that references a static file until collectstatic has written the manifest.
 */
const MANIFEST = /ManifestStaticFilesStorage/;

/** The collectstatic step, with placeholders for required variables (only for this command, never baked in). */
function collectstaticCommand(module: string | null, env: string[], manifest: boolean): string {
  const vars = [...new Set(env)].map((v) => `${v}="\${${v}:-kli8nt-build-placeholder}"`);
  const setting = module ? [`DJANGO_SETTINGS_MODULE="\${DJANGO_SETTINGS_MODULE:-${module}}"`] : [];
  const prefix = [...setting, ...vars].join(" ");
  const cmd = `${prefix ? `${prefix} ` : ""}python manage.py collectstatic --noinput`;
  const why = "collectstatic failed (see above); fix the settings, or override the build command to skip it";
  // With a manifest storage the app cannot serve without it: fail the build. Otherwise warn and go on.
  return manifest
    ? `{ ${cmd} || { echo "kli8nt: ${why}" >&2; exit 1; }; }`
    : `{ ${cmd} || echo "kli8nt: warning: ${why}" >&2; }`;
}

/**
 * Rule (Heroku's): every Django app with django.contrib.staticfiles runs `collectstatic --noinput` at build
 * time, with the project's own settings module; gunicorn serves the WSGI application; migrate is a release step.
 */
export async function planDjango(tree: RepoTree, plan: BuildPlan): Promise<void> {
  const module = await settingsModule(tree);
  const settings = module ? await settingsText(tree, module) : null;
  const wsgi = settings?.match(/WSGI_APPLICATION\s*=\s*["']([\w.]+)\.(\w+)["']/);
  if (wsgi?.[1] && wsgi[2]) plan.start = `gunicorn --bind 0.0.0.0:$PORT ${wsgi[1]}:${wsgi[2]}`;
  else plan.warnings.push("Django project without a readable WSGI_APPLICATION; set a start command");
  // Migrations run once per release, before the new pods serve, never on every container start.
  plan.releaseCommand = "python manage.py migrate";
  collectstatic(plan, module, settings);
}

function collectstatic(plan: BuildPlan, module: string | null, settings: string | null): void {
  if (settings === null) {
    plan.warnings.push(
      "Django settings not readable (manage.py sets no DJANGO_SETTINGS_MODULE, or its file is missing); running collectstatic anyway, a failure only warns",
    );
    plan.build.push(collectstaticCommand(module, [], false));
    return;
  }
  if (!settings.includes("django.contrib.staticfiles")) return;
  if (!/^\s*STATIC_ROOT\s*=/m.test(settings)) {
    plan.warnings.push(
      'django.contrib.staticfiles without STATIC_ROOT in the settings: collectstatic cannot run; set STATIC_ROOT (e.g. BASE_DIR / "staticfiles") to serve static files',
    );
    return;
  }
  const env = requiredEnv(settings);
  if (env.length > 0)
    plan.warnings.push(
      `collectstatic runs with placeholder values for ${env.join(", ")} (read with os.environ[...] in the settings)`,
    );
  plan.build.push(collectstaticCommand(module, env, MANIFEST.test(settings)));
}
