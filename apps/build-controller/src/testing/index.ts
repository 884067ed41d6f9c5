export { createLocalRepo, nodeAppFiles } from "./local-repo.ts";
