export { createRouter, type Router, type RouterOptions } from "./router/create-router.ts";
export { MemoryRouteTable } from "./router/memory-route-table.ts";
export type { RouterLogger } from "./router/types.ts";
export type { RouteTable, RouteTarget } from "./routes.ts";
