import { runRuntimeContract } from "../runtime-contract.ts";
import { processSubject } from "./testing.ts";

runRuntimeContract("local runtime on host processes", processSubject, 60_000);
