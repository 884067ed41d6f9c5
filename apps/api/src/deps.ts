import type { Db, SecretBox } from "@kli8nt/db";
import type { LogStore } from "@kli8nt/logstore";
import type { AddonService } from "./addons/addon-service.ts";
import type { ApiConfig } from "./config.ts";
import type { EventHub } from "./events/event-hub.ts";

/** What the routes need; main.ts builds it, tests build their own with real adapters. */
export interface ApiDeps {
  readonly config: ApiConfig;
  readonly db: Db;
  readonly box: SecretBox;
  /** Called after a transaction that wrote outbox rows commits, so they are published without delay. */
  readonly onOutboxWrite: () => void;
  /** Build and runtime logs; the log routes are mounted only when present. */
  readonly logs?: LogStore;
  /** Pushes state changes to browsers; buildApi makes its own when absent (then only api-made changes). */
  readonly events?: EventHub;
  /** The notification worker: "send test" kicks it so the delivery goes out now (ADR 0186). */
  readonly notifications?: { kick(): void };
  /** Managed PostgreSQL add-ons (ADR 0225); absent, the add-on routes answer 409 ADDONS_UNAVAILABLE. */
  readonly addons?: AddonService;
  /**
   * Custom domains' reconciler (ADR 0220): told when a domain is added or removed, so the router follows;
   * awaited, so a domain answers over HTTP when its POST does (it never throws).
   */
  readonly domains?: { changed(): Promise<void> | void };
  /** The closed previews' log retention pass (ADR 0203): how often, and the clock (tests move it). */
  readonly previewLogRetention?: { readonly everyMs?: number; readonly now?: () => Date };
}
