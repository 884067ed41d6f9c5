import {
  basePlan,
  existing,
  firstLine,
  isRecord,
  pickVersion,
  stringRecord,
  toolVersion,
} from "../plan-base.ts";
import type { RepoTree } from "../repo-tree.ts";
import type { BuildPlan } from "../types.ts";
import { addNativePackages, RUBY_NATIVE, rubyGems } from "./native-deps.ts";

/** Ruby (Rails when config/application.rb defines a Rails::Application). */
export async function detectRuby(tree: RepoTree): Promise<BuildPlan> {
  const plan = basePlan("ruby", 3000);
  const gemfile = (await tree.read("Gemfile")) ?? "";
  plan.packageManager = "bundler";
  plan.manifests = await existing(tree, ["Gemfile", "Gemfile.lock", ".ruby-version"]);
  await pickVersion(plan, "ruby", [
    [".ruby-version", async () => (await firstLine(tree, ".ruby-version"))?.replace(/^ruby-/, "")],
    ["Gemfile", async () => gemfile.match(/^\s*ruby\s+["']([^"']+)["']/m)?.[1]],
    [".tool-versions", () => toolVersion(tree, "ruby")],
  ]);
  plan.env = { BUNDLE_WITHOUT: "development:test", BUNDLE_DEPLOYMENT: "1" };
  plan.install = ["bundle install"];
  // Slim Ruby images have no compiler; most Gemfiles have at least one native extension.
  plan.systemPackages.build.push("build-essential", "libyaml-dev");
  addNativePackages(plan, RUBY_NATIVE, rubyGems(gemfile, await tree.read("Gemfile.lock")));
  const rails = (await tree.read("config/application.rb"))?.includes("Rails::Application") ?? false;
  if (rails) {
    plan.framework = "rails";
    plan.env = {
      ...plan.env,
      RAILS_ENV: "production",
      RAILS_LOG_TO_STDOUT: "1",
      RAILS_SERVE_STATIC_FILES: "1",
    };
    // assets:precompile needs some secret; Rails ≥ 7.1 accepts this flag instead of a real one.
    plan.build = ["SECRET_KEY_BASE_DUMMY=1 bundle exec rake assets:precompile"];
    if (/bootsnap/.test(gemfile)) plan.build.push("bundle exec bootsnap precompile app/ lib/");
    plan.start = "bundle exec bin/rails server -b 0.0.0.0 -p $PORT -e $RAILS_ENV";
    plan.releaseCommand = "bundle exec rails db:migrate";
  } else if (await tree.isFile("config.ru")) {
    plan.start = "bundle exec rackup -o 0.0.0.0 -p $PORT";
  }
  return plan;
}

/** PHP (Laravel when laravel/framework or artisan is there), served by FrankenPHP. */
export async function detectPhp(tree: RepoTree): Promise<BuildPlan> {
  const plan = basePlan("php", 8080);
  const composer = await tree.readJson("composer.json");
  const require = stringRecord(composer?.require);
  await pickVersion(plan, "php", [["composer.json", async () => require.php]]);
  if (composer !== null) {
    plan.packageManager = "composer";
    plan.manifests = await existing(tree, ["composer.json", "composer.lock"]);
    plan.install = ["composer install --no-dev --optimize-autoloader --no-scripts --no-interaction"];
  }
  if ("laravel/framework" in require || (await tree.isFile("artisan"))) {
    plan.framework = "laravel";
    plan.build = ["php artisan config:cache", "php artisan route:cache", "php artisan view:cache"];
    plan.releaseCommand = "php artisan migrate --force";
  }
  plan.staticOutputDir = (await tree.isFile("public/index.php")) ? "public" : ".";
  plan.start = `frankenphp php-server --listen :$PORT --root ${plan.staticOutputDir}/`;
  // FrankenPHP (Caddy) keeps state under XDG dirs; the non-root user can write /tmp only.
  plan.env = { ...plan.env, XDG_CONFIG_HOME: "/tmp", XDG_DATA_HOME: "/tmp" };
  return plan;
}

/** Deno: `deno task start` when defined, else run the entry file with narrow permissions. */
export async function detectDeno(tree: RepoTree, config: Record<string, unknown>): Promise<BuildPlan> {
  const plan = basePlan("deno", 8000);
  plan.packageManager = "deno";
  plan.manifests = await existing(tree, ["deno.json", "deno.jsonc", "deno.lock"]);
  plan.runtimeVersions.deno = "2";
  plan.versionSource.deno = "default";
  // Deno's module cache inside /app: `deno cache` fills it at build time and the runtime stage copies /app,
  // so the container neither re-downloads jsr:/npm: imports at start nor needs the network for them.
  plan.env.DENO_DIR = "/app/.deno";
  const tasks = isRecord(config.tasks) ? config.tasks : {};
  const entry = (await existing(tree, ["main.ts", "server.ts", "mod.ts", "index.ts", "main.js"]))[0];
  if (entry) plan.build = [`deno cache ${entry}`];
  if ("start" in tasks) plan.start = "deno task start";
  else if (entry) plan.start = `deno run --allow-net --allow-env --allow-read ${entry}`;
  else plan.warnings.push("no start task and no main.ts/server.ts/mod.ts; set a start command");
  return plan;
}

/** Elixir (Phoenix when the phoenix dependency is there). */
export async function detectElixir(tree: RepoTree): Promise<BuildPlan> {
  const plan = basePlan("elixir", 4000);
  const mix = (await tree.read("mix.exs")) ?? "";
  plan.packageManager = "mix";
  plan.manifests = await existing(tree, ["mix.exs", "mix.lock"]);
  await pickVersion(plan, "elixir", [
    ["mix.exs", async () => mix.match(/elixir:\s*"([^"]+)"/)?.[1]],
    [".tool-versions", () => toolVersion(tree, "elixir")],
  ]);
  // Hex and rebar live inside /app so the runtime stage (which copies only /app) still finds them.
  plan.env = { MIX_ENV: "prod", MIX_HOME: "/app/.mix", HEX_HOME: "/app/.hex" };
  plan.install = [
    "mix local.hex --force",
    "mix local.rebar --force",
    "mix deps.get --only prod",
    "mix deps.compile",
  ];
  plan.build = ["mix compile"];
  if (/:phoenix\b/.test(mix)) {
    plan.framework = "phoenix";
    plan.env.PHX_SERVER = "true";
    if (await tree.isDir("assets")) plan.build.push("mix assets.deploy");
    plan.start = "mix phx.server";
  } else {
    plan.start = "mix run --no-halt";
  }
  return plan;
}
