// Publish+consume throughput of the RabbitMQ Bus adapter against raw amqplib doing the same work in the
// same run: quorum queue, persistent messages, publisher confirms, manual ack, same prefetch.
// Needs KLI8NT_TEST_AMQP_URL (source scripts/infra/rabbitmq.sh, then start_rabbitmq). The last line is
// `bus_vs_raw_amqplib_ratio: <r>` (bus messages/s ÷ raw messages/s, median of the rounds).
import { randomBytes } from "node:crypto";
import { type BodySchema, QUEUE_NAMES, RabbitMqBus } from "@kli8nt/bus";
import { connect } from "amqplib";

const url = process.env.KLI8NT_TEST_AMQP_URL;
if (!url) {
  console.error("KLI8NT_TEST_AMQP_URL is not set: start RabbitMQ with scripts/infra/rabbitmq.sh");
  process.exit(1);
}
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 5000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PREFETCH = 50;
const body = (n: number) => ({ deploymentId: `dep-${n}`, step: "build", image: "sha256:".padEnd(71, "a") });

const passthrough: BodySchema<unknown> = { safeParse: (data) => ({ success: true, data }) };

async function runBus(amqpUrl: string): Promise<number> {
  const bus = await RabbitMqBus.connect({ url: amqpUrl, prefix: `bench-${randomBytes(4).toString("hex")}.` });
  let handled = 0;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const started = performance.now();
  await bus.consume(
    "BUILD",
    passthrough,
    async () => {
      if (++handled === MESSAGES) finish();
    },
    { prefetch: PREFETCH },
  );
  await Promise.all(
    Array.from({ length: MESSAGES }, (_, n) =>
      bus.publish("BUILD", { id: `m-${n}`, type: "Bench.v1", body: body(n) }),
    ),
  );
  await done;
  const seconds = (performance.now() - started) / 1000;
  await bus.close();
  await deleteBusTopology(amqpUrl, bus);
  return MESSAGES / seconds;
}

async function deleteBusTopology(amqpUrl: string, bus: RabbitMqBus): Promise<void> {
  const conn = await connect(amqpUrl);
  const ch = await conn.createChannel();
  for (const q of QUEUE_NAMES) {
    await ch.deleteQueue(bus.names.queue(q));
    await ch.deleteQueue(bus.names.deadLetterQueue(q));
  }
  await ch.deleteExchange(bus.names.deadLetterExchange);
  await conn.close();
}

async function runRaw(amqpUrl: string): Promise<number> {
  const conn = await connect(amqpUrl);
  const queue = `bench-raw-${randomBytes(4).toString("hex")}`;
  const setup = await conn.createChannel();
  await setup.assertQueue(queue, { durable: true, arguments: { "x-queue-type": "quorum" } });
  const pub = await conn.createConfirmChannel();
  const sub = await conn.createChannel();
  await sub.prefetch(PREFETCH);
  let handled = 0;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const started = performance.now();
  await sub.consume(queue, (m) => {
    if (!m) return;
    JSON.parse(m.content.toString("utf8"));
    sub.ack(m);
    if (++handled === MESSAGES) finish();
  });
  await Promise.all(
    Array.from(
      { length: MESSAGES },
      (_, n) =>
        new Promise<void>((resolve, reject) => {
          const content = Buffer.from(JSON.stringify(body(n)));
          const props = {
            persistent: true,
            messageId: `m-${n}`,
            type: "Bench.v1",
            contentType: "application/json",
          };
          pub.sendToQueue(queue, content, props, (err: unknown) => (err ? reject(err) : resolve()));
        }),
    ),
  );
  await done;
  const seconds = (performance.now() - started) / 1000;
  await setup.deleteQueue(queue);
  await conn.close();
  return MESSAGES / seconds;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

const busRates: number[] = [];
const rawRates: number[] = [];
console.log(`${MESSAGES} messages per round, ${ROUNDS} rounds, prefetch ${PREFETCH}, quorum queue, confirms`);
for (let round = 1; round <= ROUNDS; round++) {
  // Alternate which goes first so broker warm-up does not favour one side.
  const order = round % 2 === 1 ? (["raw", "bus"] as const) : (["bus", "raw"] as const);
  for (const side of order) {
    const rate = side === "raw" ? await runRaw(url) : await runBus(url);
    (side === "raw" ? rawRates : busRates).push(rate);
    console.log(`round ${round} ${side.padEnd(3)}: ${rate.toFixed(0)} msg/s`);
  }
}
console.log(`raw amqplib median: ${median(rawRates).toFixed(0)} msg/s`);
console.log(`bus median: ${median(busRates).toFixed(0)} msg/s`);
console.log(`bus_vs_raw_amqplib_ratio: ${(median(busRates) / median(rawRates)).toFixed(3)}`);
