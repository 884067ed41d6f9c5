import {
  type BuildSettings,
  buildSettingsSchema,
  isKli8ntError,
  Kli8ntError,
  mergeBuildSettings,
} from "@kli8nt/core";
import { z } from "zod";

/**
 * What a build needs that the bus must not carry (ADR 0118): the app owner (whose build limit it counts
 * against), the port override, the app's build settings, and the clone token, which goes only into the
 * per-build Secret.
 */
export interface BuildSource {
  readonly ownerId: string;
  readonly port: number | null;
  readonly cloneToken: string | null;
  /** The app's settings over the plan (its release command); absent from an older api. */
  readonly buildSettings?: BuildSettings | undefined;
}

/** `null`: the api has no such deployment (404), or it is no longer queued or building (409). */
export type FetchBuildSource = (deploymentId: string) => Promise<BuildSource | null>;

const answer = z.object({
  ownerId: z.string().min(1),
  port: z.number().int().min(1).max(65535).nullable(),
  cloneToken: z.string().min(1).nullable(),
  // Settings this controller cannot read are left out rather than failing the build.
  buildSettings: buildSettingsSchema.optional().catch(undefined),
});

function parseAnswer(body: unknown): BuildSource {
  const parsed = answer.safeParse(body);
  if (!parsed.success) throw new BuildSourceError("The api's build source answer is malformed", false);
  const { buildSettings, ...rest } = parsed.data;
  // Stored settings' shape: set or absent (null clears).
  return buildSettings ? { ...rest, buildSettings: mergeBuildSettings({}, buildSettings) } : rest;
}

export interface BuildSourceClientOptions {
  /** The api's base URL, e.g. http://kli8nt-api.kli8nt.svc. */
  readonly apiUrl: string;
  readonly internalToken: string;
  /** Per attempt (default 10 s). */
  readonly timeoutMs?: number;
  /** Attempts before the error goes to the bus, which redelivers the BUILD later (default 5). */
  readonly attempts?: number;
  /** First backoff, doubled per attempt (default 500 ms). */
  readonly backoffMs?: number;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * BUILD_SOURCE_UNAVAILABLE is retried; BUILD_SOURCE_REFUSED is a refusal no retry changes (a wrong token
 * or URL is a configuration error an operator must fix), so the bus dead-letters it (`retryable: false`).
 */
export class BuildSourceError extends Kli8ntError {
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(
      retryable ? "unavailable" : "terminal",
      retryable ? "BUILD_SOURCE_UNAVAILABLE" : "BUILD_SOURCE_REFUSED",
      message,
      options,
    );
  }
}

/**
 * Asks the api (`POST /internal/v1/builds/{id}/source`) with the internal token, a timeout per attempt and
 * retries with backoff on network errors, 429 and 5xx. Error messages never carry the answer's body.
 */
export function buildSourceClient(options: BuildSourceClientOptions): FetchBuildSource {
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const attempts = options.attempts ?? 5;
  const once = async (deploymentId: string): Promise<BuildSource | null> => {
    const url = `${options.apiUrl}/internal/v1/builds/${encodeURIComponent(deploymentId)}/source`;
    let res: Response;
    try {
      res = await doFetch(url, {
        method: "POST",
        headers: { authorization: `Bearer ${options.internalToken}`, accept: "application/json" },
        // A redirect would take the internal token somewhere else.
        redirect: "error",
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
    } catch (cause) {
      throw new BuildSourceError(`The api at ${options.apiUrl} did not answer`, true, { cause });
    }
    if (res.status === 404 || res.status === 409) {
      await res.body?.cancel();
      return null;
    }
    if (!res.ok) {
      await res.body?.cancel();
      const retryable = res.status === 429 || res.status >= 500;
      throw new BuildSourceError(`The api answered ${res.status} for the build source`, retryable);
    }
    return parseAnswer(await res.json().catch(() => undefined));
  };
  return async (deploymentId) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await once(deploymentId);
      } catch (error) {
        if (!isKli8ntError(error) || error.code !== "BUILD_SOURCE_UNAVAILABLE" || attempt >= attempts)
          throw error;
        await sleep((options.backoffMs ?? 500) * 2 ** (attempt - 1));
      }
    }
  };
}
