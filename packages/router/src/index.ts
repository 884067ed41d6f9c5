export { createRouter, type Router, type RouterOptions } from "./create-router.ts";
export { MemoryRouteTable } from "./memory-route-table.ts";
export type { RouteTable, RouteTarget } from "./route-table.ts";
export type { RouterLogger } from "./types.ts";
