import { type ChannelModel, type ConfirmChannel, connect, type RecoveringChannelModel } from "amqplib";
import type { BusLogger } from "../bus.ts";
import { BusError } from "../errors.ts";

export interface ReconnectOptions {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

/** Runs on every (re)connection before the connection is used: topology, then consumers. */
export type ConnectHook = (model: ChannelModel) => Promise<void>;

/**
 * One AMQP connection that comes back after it is lost (amqplib's recovery: capped exponential backoff with
 * jitter). Channels do not survive a reconnect, so hooks re-create topology and consumers each time.
 */
export class AmqpConnection {
  readonly #hooks: ConnectHook[] = [];
  readonly #waiters: Array<() => void> = [];
  #recovering: RecoveringChannelModel | undefined;
  #model: ChannelModel | undefined;
  #confirm: Promise<ConfirmChannel> | undefined;
  #closed = false;

  constructor(
    private readonly url: string,
    private readonly logger: BusLogger,
    private readonly reconnect: ReconnectOptions,
  ) {}

  /** Where we connect, without credentials, for logs. */
  get endpoint(): string {
    try {
      const u = new URL(this.url);
      return `${u.protocol}//${u.host}${u.pathname === "/" ? "" : u.pathname}`;
    } catch {
      return "(unparseable AMQP URL)";
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  onConnect(hook: ConnectHook): void {
    this.#hooks.push(hook);
  }

  /** Opens the connection; fails with BUS_UNAVAILABLE if the first connection takes longer than `timeoutMs`. */
  async open(timeoutMs: number): Promise<void> {
    const recovering = await connect(this.url, {
      recovery: {
        initialDelay: this.reconnect.initialDelayMs,
        maxDelay: this.reconnect.maxDelayMs,
        waitForConnect: false,
        setup: (model: ChannelModel) => this.#setup(model),
      },
    });
    this.#recovering = recovering;
    recovering.on("disconnect", (err: Error) => {
      this.#model = undefined;
      this.#confirm = undefined;
      this.logger.warn({ endpoint: this.endpoint, err: err.message }, "Lost connection to RabbitMQ");
    });
    recovering.on("reconnect-scheduled", (info: { attempt: number; delay: number; error: Error }) => {
      this.logger.info(
        { endpoint: this.endpoint, attempt: info.attempt, delayMs: info.delay, err: info.error.message },
        "Scheduled reconnection to RabbitMQ",
      );
    });
    recovering.on("error", (err: Error) =>
      this.logger.warn({ err: err.message }, "Got a RabbitMQ connection error"),
    );
    try {
      await this.waitConnected(Date.now() + timeoutMs);
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  async #setup(model: ChannelModel): Promise<void> {
    model.on("error", () => undefined); // surfaced by the recovering model; this keeps Node from throwing
    for (const hook of this.#hooks) await hook(model);
    this.#model = model;
    this.logger.info({ endpoint: this.endpoint }, "Connected to RabbitMQ");
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** The live connection, waiting for a reconnect until the deadline. */
  async waitConnected(deadline: number): Promise<ChannelModel> {
    while (!this.#model) {
      if (this.#closed) throw new BusError("BUS_CLOSED", "the bus is closed");
      const left = deadline - Date.now();
      if (left <= 0) throw new BusError("BUS_UNAVAILABLE", `RabbitMQ at ${this.endpoint} is unreachable`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.#model;
  }

  /** The shared publisher-confirm channel of the live connection, created on first use. */
  async confirmChannel(deadline: number): Promise<ConfirmChannel> {
    const model = await this.waitConnected(deadline);
    if (!this.#confirm) {
      const created = model.createConfirmChannel();
      this.#confirm = created;
      created.then(
        (ch) => {
          ch.on("error", (err: Error) =>
            this.logger.warn({ err: err.message }, "Got a publish channel error"),
          );
          ch.on("close", () => {
            if (this.#confirm === created) this.#confirm = undefined;
          });
        },
        () => {
          if (this.#confirm === created) this.#confirm = undefined;
        },
      );
    }
    return this.#confirm;
  }

  /** The live connection if there is one, for short operations that may simply fail. */
  get current(): ChannelModel | undefined {
    return this.#model;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const wake of this.#waiters.splice(0)) wake();
    await this.#recovering?.close();
  }
}
