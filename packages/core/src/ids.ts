import { randomUUID } from "node:crypto";

/** Opaque, sortable-enough ids with a type prefix so logs say what an id is (app_…, dep_…). */
export function newId(prefix: "usr" | "app" | "dep" | "tok" | "msg" | "ses" | "cron" | "run"): string {
  return `${prefix}_${randomUUID().replaceAll("-", "")}`;
}
