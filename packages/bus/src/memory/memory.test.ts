import { runBusContract } from "../contract.ts";
import { MemoryBus } from "./memory-bus.ts";

runBusContract("memory", async (retry) => {
  const bus = new MemoryBus({ retry });
  return {
    bus,
    publishRaw: async (queue, raw) => bus.publishRaw(queue, raw),
  };
});
