import { IS_CI, TEST_DATABASE_URL } from "@kli8nt/db";
import { processSubject } from "../local/testing.ts";
import { runCronSchedulerSuite } from "./cron-scheduler-suite.ts";

// Host processes need no container runtime; PostgreSQL is required (a missing one fails under CI=true).
if (TEST_DATABASE_URL || IS_CI) runCronSchedulerSuite("host processes", processSubject);
