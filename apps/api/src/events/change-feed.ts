/**
 * What a writer says changed, as it crosses from one api replica to all of them (ADR 0121). Ids only:
 * each replica reads the current row itself, so no user data travels with a change.
 */
export type Change =
  | { readonly kind: "deployment"; readonly id: string }
  | { readonly kind: "app"; readonly id: string }
  | { readonly kind: "app-deleted"; readonly ownerId: string; readonly name: string }
  /** New metric points of the app were stored (ADR 0217): its open Metrics tabs fetch them. */
  | { readonly kind: "metrics"; readonly id: string }
  /** The session's hash, as the sessions table keeps it: the token itself never leaves the api. */
  | { readonly kind: "session-ended"; readonly sessionHash: string };

/** The local side a feed delivers to: this replica's EventHub. */
export interface ChangeSink {
  apply(change: Change): void;
  /** Changes may have been lost (the feed was cut off): every local browser must fetch the state again. */
  resync(): void;
}

/** Carries changes to every replica's hub, the publisher's included. */
export interface ChangeFeed {
  publish(change: Change): void;
  /** Called once, by the hub the feed delivers to. */
  attach(sink: ChangeSink): void;
  close(): Promise<void>;
}

/** One process (PGlite, `kli8nt start`, tests): a change goes straight to the local hub, as before ADR 0121. */
export class InProcessChangeFeed implements ChangeFeed {
  #sink: ChangeSink | null = null;

  publish(change: Change): void {
    this.#sink?.apply(change);
  }

  attach(sink: ChangeSink): void {
    this.#sink = sink;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** The change a NOTIFY payload holds, or null for anything else (someone else's NOTIFY on the channel). */
export function parseChange(payload: string | undefined): Change | null {
  let value: unknown;
  try {
    value = JSON.parse(payload ?? "");
  } catch {
    return null;
  }
  if (!value || typeof value !== "object") return null;
  const c = value as Record<string, unknown>;
  const text = (key: string) => typeof c[key] === "string" && (c[key] as string).length > 0;
  if ((c.kind === "deployment" || c.kind === "app" || c.kind === "metrics") && text("id"))
    return { kind: c.kind, id: c.id as string };
  if (c.kind === "app-deleted" && text("ownerId") && text("name"))
    return { kind: "app-deleted", ownerId: c.ownerId as string, name: c.name as string };
  if (c.kind === "session-ended" && text("sessionHash"))
    return { kind: "session-ended", sessionHash: c.sessionHash as string };
  return null;
}
