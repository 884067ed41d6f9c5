import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { failUnderCi } from "@kli8nt/testkit";
import { connect } from "amqplib";
import { describe } from "vitest";
import { QUEUE_NAMES } from "../bus.ts";
import type { MakeBus } from "../contract.ts";
import { runBusContract } from "../contract.ts";
import { runBrokerFaultContract } from "../contract-faults.ts";
import { RabbitMqBus } from "./rabbitmq-bus.ts";

const url = process.env.KLI8NT_TEST_AMQP_URL;
const rabbitmqctl = process.env.KLI8NT_TEST_RABBITMQCTL;
const missing = !url || !rabbitmqctl;

failUnderCi(
  missing,
  "KLI8NT_TEST_AMQP_URL and KLI8NT_TEST_RABBITMQCTL are not set (scripts/infra/rabbitmq.sh)",
);

const makeBus: MakeBus = async (retry) => {
  const amqpUrl = url as string;
  const prefix = `t-${randomBytes(4).toString("hex")}.`;
  let connections = 0;
  const logger = {
    info: (_o: object, m: string) => {
      if (m === "Connected to RabbitMQ") connections++;
    },
    warn: () => undefined,
    error: () => undefined,
  };
  const open = () =>
    RabbitMqBus.connect({
      logger,
      url: amqpUrl,
      prefix,
      retry,
      reconnect: { initialDelayMs: 50, maxDelayMs: 1000 },
    });
  const bus = await open();
  const raw = await connect(amqpUrl);
  raw.on("error", () => undefined); // dropConnections closes it too
  return {
    bus,
    reopen: open,
    publishRaw: async (queue, m) => {
      const ch = await raw.createConfirmChannel();
      ch.sendToQueue(bus.names.queue(queue), m.content, { messageId: m.id, type: m.type, persistent: true });
      await ch.waitForConfirms();
      await ch.close();
    },
    connections: () => connections,
    dropConnections: async () => {
      await promisify(execFile)(rabbitmqctl as string, ["-q", "close_all_connections", "test: dropped"]);
    },
    restartBroker: async () => {
      const ctl = (...args: string[]) => promisify(execFile)(rabbitmqctl as string, ["-q", ...args]);
      await ctl("stop_app");
      await ctl("start_app");
      await ctl("await_startup");
    },
    dispose: async () => {
      // The raw connection may have been dropped by the test: use a fresh one.
      const admin = await connect(amqpUrl);
      const ch = await admin.createChannel();
      for (const q of QUEUE_NAMES) {
        await ch.deleteQueue(bus.names.queue(q));
        await ch.deleteQueue(bus.names.deadLetterQueue(q));
      }
      await ch.deleteExchange(bus.names.deadLetterExchange);
      await admin.close();
      await raw.close().catch(() => undefined);
    },
  };
};

describe.skipIf(missing)("RabbitMQ bus", () => {
  runBusContract("rabbitmq", makeBus);
  runBrokerFaultContract("rabbitmq", makeBus);
});
