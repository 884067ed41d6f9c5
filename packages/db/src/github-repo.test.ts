import { IN_MEMORY, openDatabase } from "./database.ts";
import { runGitHubRepoSuite } from "./github-repo-suite.ts";

runGitHubRepoSuite("PGlite", () => openDatabase({ dataDir: IN_MEMORY }));
