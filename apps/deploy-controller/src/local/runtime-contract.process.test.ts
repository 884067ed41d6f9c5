import { runRuntimeContract } from "../runtime-contract.ts";
import { processSubject } from "./local-subjects.ts";

runRuntimeContract("local runtime on host processes", processSubject, 60_000);
