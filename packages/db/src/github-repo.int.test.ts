import { runGitHubRepoSuite } from "./github-repo-suite.ts";
import { IS_CI, openTestDatabase, TEST_DATABASE_URL } from "./testing.ts";

// Outside CI a missing server skips; under CI=true openTestDatabase throws and the suite fails.
runGitHubRepoSuite("PostgreSQL", () => openTestDatabase("postgres"), !TEST_DATABASE_URL && !IS_CI);
