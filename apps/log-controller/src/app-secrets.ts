import { type Db, resolveEnv, type SecretBox, schema } from "@kli8nt/db";
import { eq } from "drizzle-orm";

export interface AppSecretsOptions {
  /** How long values read for an app are trusted before they are read again. */
  readonly ttlMs?: number;
  readonly now?: () => number;
}

interface Entry {
  /** Every secret value read for the app while cached: a value replaced since still gets masked. */
  readonly values: Set<string>;
  readonly deployments: Set<string>;
  readonly readAt: number;
}

/**
 * The secret values of each app, read from the database and decrypted with the platform key (the same
 * SecretBox the deploy controller writes them into the cluster with), cached (ADR 0116). Read again
 * after `ttlMs`, and at once for a deployment not seen before: a pod only gets variables through a
 * deploy, which read them from the database before the pod could print anything. A failed read throws,
 * so the append fails and the follower retries: nothing is stored unmasked.
 */
export class AppSecrets {
  readonly #entries = new Map<string, Entry>();
  readonly #reading = new Map<string, Promise<Entry>>();
  readonly #ids = new Map<string, { id: string; at: number }>();
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
    options: AppSecretsOptions = {},
  ) {
    this.#ttlMs = options.ttlMs ?? 30_000;
    this.#now = options.now ?? Date.now;
  }

  /** The values to mask in lines of these deployments of the app. */
  async valuesFor(appId: string, deploymentIds: Iterable<string>): Promise<readonly string[]> {
    const wanted = [...new Set(deploymentIds)];
    const cached = this.#entries.get(appId);
    const fresh =
      cached && this.#now() - cached.readAt < this.#ttlMs && wanted.every((d) => cached.deployments.has(d));
    const entry = fresh ? cached : await this.#read(appId, wanted);
    return [...entry.values];
  }

  /** App id of an app name (run pods are labelled by name only), cached like the values. */
  async appIdOf(appName: string): Promise<string> {
    const hit = this.#ids.get(appName);
    if (hit && this.#now() - hit.at < this.#ttlMs) return hit.id;
    const [row] = await this.db
      .select({ id: schema.apps.id })
      .from(schema.apps)
      .where(eq(schema.apps.name, appName))
      .limit(1);
    // An unknown name (app deleted meanwhile) keeps the name: its lines still go somewhere findable.
    const id = row?.id ?? appName;
    this.#ids.set(appName, { id, at: this.#now() });
    return id;
  }

  /** One read per app at a time; callers arriving meanwhile share it. */
  #read(appId: string, deployments: readonly string[]): Promise<Entry> {
    const running = this.#reading.get(appId);
    if (running)
      return running.then((e) =>
        deployments.every((d) => e.deployments.has(d)) ? e : this.#read(appId, deployments),
      );
    const read = this.#load(appId, deployments).finally(() => this.#reading.delete(appId));
    this.#reading.set(appId, read);
    return read;
  }

  async #load(appId: string, deployments: readonly string[]): Promise<Entry> {
    const readAt = this.#now();
    const env = await resolveEnv(this.db, this.box, appId);
    const previous = this.#entries.get(appId);
    const entry: Entry = {
      values: new Set([...(previous?.values ?? []), ...env.filter((v) => v.secret).map((v) => v.value)]),
      deployments: new Set([...(previous?.deployments ?? []), ...deployments]),
      readAt,
    };
    this.#entries.set(appId, entry);
    return entry;
  }
}
