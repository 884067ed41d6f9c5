// Shared contract between the deploy controller (writes routes) and the router (reads them).
export type RouteTarget =
  /** `urls`: every web replica (round robin); `url` is the first of them. */
  | { kind: "upstream"; url: string; urls?: readonly string[] }
  | { kind: "status"; status: "building" | "no-release" | "crashed" | "stopped"; message: string };

export interface RouteTable {
  set(app: string, target: RouteTarget): void;
  delete(app: string): void;
  get(app: string): RouteTarget | undefined;
}
