import { record } from "./recorder.js";

console.log(`migrating schema to ${process.env.SCHEMA_VERSION ?? "1"}`);
if (process.env.FAIL_RELEASE === "1") {
  console.error('migration failed: relation "orders" already exists');
  process.exit(1);
}
await record("migrate");
console.log("migrations applied");
