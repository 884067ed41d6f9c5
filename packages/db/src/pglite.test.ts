import { IN_MEMORY, openDatabase } from "./database.ts";
import { runRepositorySuite } from "./repository-suite.ts";

runRepositorySuite("PGlite", () => openDatabase({ dataDir: IN_MEMORY }));
