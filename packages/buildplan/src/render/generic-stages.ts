import type { BuildPlan } from "../types.ts";
import { type BaseImageKey, baseImage } from "./base-images.ts";
import { APP_USER, argLines, cmdLine, copyManifests, envLine, portLines, runLines } from "./instructions.ts";

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
  const keep = python ? [`COPY --from=build --chown=${APP_USER} /opt/venv /opt/venv`] : [];
  return [
    `FROM ${image} AS deps`,
    "WORKDIR /app",
    ...argLines(),
    ...envLine(env),
    ...copyManifests(plan.manifests),
    ...runLines(plan.install),
    "",
    "FROM deps AS build",
    ...argLines(),
    assets ? "COPY --from=assets /app/ ./" : "COPY . .",
    ...runLines(plan.build),
    "",
    `FROM ${image} AS runtime`,
    "WORKDIR /app",
    ...envLine({ ...env, HOME: "/tmp" }),
    ...keep,
    `COPY --from=build --chown=${APP_USER} /app /app`,
    `USER ${APP_USER}`,
    ...portLines(plan),
    ...cmdLine(plan.start, true),
  ];
}
