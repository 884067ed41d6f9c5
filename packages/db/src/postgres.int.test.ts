import { runRepositorySuite } from "./repository-suite.ts";
import { IS_CI, openTestDatabase, TEST_DATABASE_URL } from "./testing.ts";

// Outside CI a missing server skips; under CI=true openTestDatabase throws and the suite fails.
runRepositorySuite("PostgreSQL", () => openTestDatabase("postgres"), !TEST_DATABASE_URL && !IS_CI);
