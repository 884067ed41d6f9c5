// The deploy controller writes routes through this interface only; the router lives in @kli8nt/router.
export type { RouteTable, RouteTarget } from "@kli8nt/router";
