import type { BuildPlan } from "../types.ts";
import { type BaseImageKey, baseImage } from "./base-images.ts";
import {
  APP_USER,
  aptLines,
  argLines,
  cmdLine,
  copyManifests,
  envLine,
  portLines,
  runChained,
  runLines,
} from "./instructions.ts";
import { registrySetup } from "./registry-setup.ts";

const IMAGE: Partial<Record<BuildPlan["provider"], BaseImageKey>> = {
  python: "python",
  ruby: "ruby",
  php: "php",
  deno: "deno",
  elixir: "elixir",
  shell: "debian",
};

/** Python's virtualenv lives outside /app so the runtime stage copies exactly it and the source. */
const PYTHON_ENV = {
  VIRTUAL_ENV: "/opt/venv",
  PATH: "/opt/venv/bin:/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin",
};

/**
 * Interpreted stacks: deps stage (manifests + install), build stage (source + build), then a runtime stage on
 * the same base image holding the app folder (and, for Python, the virtualenv) owned by a non-root user.
 */
export function renderInterpreted(
  plan: BuildPlan,
  map: Readonly<Record<string, string>>,
  assets: boolean,
): string[] {
  const image = baseImage(IMAGE[plan.provider] ?? "debian", plan, map);
  const python = plan.provider === "python";
  const env = python ? { ...plan.env, ...PYTHON_ENV } : plan.env;
  const args = argLines(plan.provider);
  const keep = python ? [`COPY --from=build --chown=${APP_USER} /opt/venv /opt/venv`] : [];
  return [
    `FROM ${image} AS deps`,
    "WORKDIR /app",
    ...args,
    ...envLine(env),
    ...aptLines(plan.systemPackages.build),
    // The FrankenPHP image has no Composer; take the binary from Composer's own image.
    ...(plan.packageManager === "composer"
      ? [`COPY --from=${baseImage("composer", plan, map)} /usr/bin/composer /usr/local/bin/composer`]
      : []),
    ...registrySetup(plan),
    ...copyManifests(plan.manifests),
    ...runLines(plan.install),
    "",
    "FROM deps AS build",
    ...args,
    assets ? "COPY --from=assets /app/ ./" : "COPY . .",
    ...runChained(plan.build),
    "",
    `FROM ${image} AS runtime`,
    "WORKDIR /app",
    ...envLine({ ...env, HOME: "/tmp" }),
    ...aptLines(plan.systemPackages.runtime),
    `USER ${APP_USER}`,
    ...portLines(plan),
    ...cmdLine(plan.start, true),
    // Artefacts last, so the metadata above stays cached across source changes.
    ...keep,
    `COPY --from=build --chown=${APP_USER} /app /app`,
  ];
}
