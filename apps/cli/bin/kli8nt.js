#!/usr/bin/env node
// Runs the TypeScript sources directly (ADR 0005): register tsx, then hand over to main.ts.
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
