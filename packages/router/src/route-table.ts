// The contract between whoever writes routes (the deploy controller) and the router, which reads them.
export type RouteTarget =
  /**
   * `urls`: every web replica, balanced by health-aware round robin; `url` is the first of them and is
   * the only upstream when `urls` is absent.
   */
  | { kind: "upstream"; url: string; urls?: readonly string[] }
  | { kind: "status"; status: "building" | "no-release" | "crashed" | "stopped"; message: string };

export interface RouteTable {
  set(app: string, target: RouteTarget): void;
  delete(app: string): void;
  get(app: string): RouteTarget | undefined;
}
