import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { runLogStoreContract } from "../contract.ts";
import { createFileLogStore } from "./file-log-store.ts";

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

runLogStoreContract("file", async () => {
  const dir = await mkdtemp(join(tmpdir(), "kli8nt-logstore-"));
  dirs.push(dir);
  return createFileLogStore({ dataDir: dir });
});
