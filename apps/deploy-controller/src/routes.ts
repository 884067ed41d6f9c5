// Shared contract between the deploy controller (writes routes) and the router (reads them).
export type RouteTarget =
  | { kind: "upstream"; url: string }
  | { kind: "status"; status: "building" | "no-release" | "crashed"; message: string };

export interface RouteTable {
  set(app: string, target: RouteTarget): void;
  delete(app: string): void;
  get(app: string): RouteTarget | undefined;
}
