import { InputError } from "@kli8nt/core";
import type { RouteTable, RouteTarget } from "./route-table.ts";

/** In-process RouteTable for single-machine mode: the deploy controller writes it, the router reads it. */
export class MemoryRouteTable implements RouteTable {
  readonly #routes = new Map<string, RouteTarget>();

  set(app: string, target: RouteTarget): void {
    if (target.kind === "upstream") {
      assertUpstreamUrl(app, target.url);
      for (const url of target.urls ?? []) assertUpstreamUrl(app, url);
    }
    this.#routes.set(app.toLowerCase(), target);
  }

  delete(app: string): void {
    this.#routes.delete(app.toLowerCase());
  }

  get(app: string): RouteTarget | undefined {
    return this.#routes.get(app.toLowerCase());
  }

  /** A snapshot, for status pages and debugging. */
  entries(): [string, RouteTarget][] {
    return [...this.#routes.entries()];
  }
}

// Reject a bad URL when the route is written, so the mistake surfaces in the deploy controller and not as a
// 502 for a visitor.
function assertUpstreamUrl(app: string, url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new InputError("ROUTE_INVALID_URL", `route for ${app} has an invalid upstream URL`, {
      cause,
      details: { app },
    });
  }
  if (parsed.protocol !== "http:") {
    throw new InputError("ROUTE_INVALID_URL", `route for ${app} must use an http: upstream URL`, {
      details: { app, protocol: parsed.protocol },
    });
  }
}
