import type { BuildRequested, BuildSettings, DeployRequested, ReleaseOverrides } from "@kli8nt/core";

/** A decrypted variable of an app that the build gets (ADR 0157). */
export interface BuildVar {
  readonly key: string;
  readonly value: string;
  readonly secret: boolean;
}

/** What a build needs beyond the message, looked up once it is claimed. */
export interface BuildClaim {
  /** Whose build limit it counts against. */
  readonly owner: string;
  /** The clone token for this build (null: none); undefined: the builder's own credentials. */
  readonly cloneToken?: string | null | undefined;
  readonly settings: BuildSettings;
  /** The app's port and release command, which win over the plan's. */
  readonly overrides: ReleaseOverrides;
  readonly buildVars: readonly BuildVar[];
}

/**
 * Where a build's state lives, the one place the two modes differ: the database and its outbox on a single
 * machine (outbox-build-tracker.ts), the api and the bus in Kubernetes, where the controller has no database
 * (kaniko-job/bus-build-tracker.ts). Each report is idempotent, so a redelivered BUILD is safe.
 */
export interface BuildTracker {
  /** Marks the build `building`; null when there is nothing to do (done, cancelled, superseded, gone). */
  claim(message: BuildRequested): Promise<BuildClaim | null>;
  /** Records `built` and sends the DEPLOY message. */
  built(
    message: BuildRequested,
    built: { image: string; commitSha: string | null },
    deploy: DeployRequested,
  ): Promise<void>;
  /** Records `failed` with the reason the user reads. */
  failed(message: BuildRequested, reason: string): Promise<void>;
}
