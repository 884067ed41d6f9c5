/**
 * Formation: how many instances of each process type run and at what size (Heroku's term). Process types
 * come from the release (its Procfile entries but `release`), counts and sizes from the app's settings, with
 * defaults from the platform's configuration for anything the user did not set.
 */

/** Per process type as stored in `apps.formation`: absent fields take the defaults. */
export type FormationOverrides = Readonly<
  Record<string, { readonly count?: number; readonly memory?: string; readonly cpu?: string }>
>;

export interface FormationDefaults {
  /** Instances of `web` when the user set none (other types default to 1 as well, like Heroku's web=1). */
  readonly count: number;
  readonly memory: string;
  readonly cpu: string;
}

export interface ProcessFormation {
  readonly type: string;
  /** Shell command, or null for the image's own CMD. */
  readonly command: string | null;
  readonly count: number;
  readonly memory: string;
  readonly cpu: string;
}

export const DEFAULT_FORMATION: FormationDefaults = { count: 1, memory: "512Mi", cpu: "0.5" };

/** A release from before process types ran one `web` process with the image's CMD. */
export const WEB_ONLY: Readonly<Record<string, string | null>> = { web: null };

/**
 * The formation of a release: one entry per process type of the release, `web` first, then by name.
 * `stopped` keeps the sizes and reports every count as 0.
 */
export function formationOf(
  processes: Readonly<Record<string, string | null>> | null | undefined,
  overrides: FormationOverrides,
  defaults: FormationDefaults = DEFAULT_FORMATION,
  stopped = false,
): ProcessFormation[] {
  const types = Object.keys(processes ?? WEB_ONLY).sort((a, b) =>
    a === "web" ? -1 : b === "web" ? 1 : a.localeCompare(b),
  );
  return types.map((type) => {
    const o = overrides[type] ?? {};
    return {
      type,
      command: (processes ?? WEB_ONLY)[type] ?? null,
      count: stopped ? 0 : (o.count ?? defaults.count),
      memory: o.memory ?? defaults.memory,
      cpu: o.cpu ?? defaults.cpu,
    };
  });
}
