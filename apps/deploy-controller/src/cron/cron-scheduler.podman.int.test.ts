import { IS_CI, TEST_DATABASE_URL } from "@kli8nt/db";
import { podmanSubject } from "../local/testing.ts";
import { runCronSchedulerSuite } from "./cron-scheduler-suite.ts";

// Real podman containers of a built image and real PostgreSQL; under CI=true a missing one fails.
const containers =
  process.env.KLI8NT_TEST_CONTAINERS === "1" && process.env.KLI8NT_TEST_BASE_IMAGES !== undefined;
if (!containers && IS_CI)
  throw new Error("KLI8NT_TEST_CONTAINERS/KLI8NT_TEST_BASE_IMAGES missing: run start_containers");
if (containers && (TEST_DATABASE_URL || IS_CI)) runCronSchedulerSuite("podman", podmanSubject, 240_000);
