import { fileURLToPath } from "node:url";

/** Sample apps that tests commit into fake repositories (see samples/README.md). */
export type SampleName = "node-hello" | "node-deps" | "node-postgres" | "node-procfile" | "static-site";

/** Absolute path of a sample app directory, e.g. for `addRepo({ fromDir: samplePath("node-hello") })`. */
export function samplePath(name: SampleName): string {
  return fileURLToPath(new URL(`../samples/${name}/`, import.meta.url));
}
