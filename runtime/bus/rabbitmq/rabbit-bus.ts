// The RabbitMQ bus (AMQP 0-9-1, through rabbitmq-client): one durable topic exchange; each
// durable subscriber gets one durable queue named after it (and its domain), bound by its filter
// (routing.ts), consumed one message at a time with a bounded prefetch and acknowledged only once
// its handler resolved, i.e. once the consumer's checkpoint is stored. The consumer is exclusive:
// of the replicas sharing a queue one is active, the others are refused and stand by. Publishing waits for the
// broker's confirm. The client reconnects with backoff and declares exchange, queues and bindings
// again; a book the broker loses or repeats is repaired by the consumers, which read the store.
// Transient subscribers (a client's live stream) share one exclusive queue per process.
import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { type EventBook, EventBookSchema } from "@angzarr/proto";
import { traceHeaders } from "@angzarr/sdk";
import { fromBinary } from "@bufbuild/protobuf";
import {
  type AsyncMessage,
  Connection,
  type Consumer,
  ConsumerStatus,
  type Publisher,
} from "rabbitmq-client";
import { encodedBook } from "../../coordinator/book-bytes";
import { type Logger, log as rootLog } from "../../observability/log";
import { rememberBookTrace } from "../../observability/trace-links";
import { matches } from "../filter";
import type { BusFilter, BusHandler, BusSubscription, EventBus, SubscribeOptions } from "../types";
import { coalesceWrites } from "./coalesced-writes";
import { bindingKeys, deliveringType, encodeWord, routingKeys } from "./routing";

export interface RabbitBusOptions {
  /** amqp://user:pass@host:port/vhost */
  url: string;
  /** Topic exchange of every book (default `angzarr.events`). */
  exchange?: string;
  /** First word of every queue name (default `angzarr`). */
  queuePrefix?: string;
  /** Unacknowledged messages per consumer (default 32). */
  prefetch?: number;
  /** How long a publish may wait for a connection and the broker's confirm, ms (default 5 000). */
  publishTimeoutMs?: number;
  /** Reconnect backoff bounds, ms (default 100 → 5 000). */
  retry?: { lowMs: number; highMs: number };
  log?: Logger;
}

/** Message header naming the event type this copy of the book is routed by. */
const TYPE_HEADER = "x-angzarr-type";

interface Tail {
  filter: BusFilter;
  handler: BusHandler;
}

export class RabbitBus implements EventBus {
  readonly connection: Connection;
  private readonly publisher: Publisher;
  /** Publishes nobody relies on (notify): no confirm mode, so no broker acknowledgement to read. */
  private readonly notifier: Publisher;
  private readonly exchange: string;
  private readonly prefix: string;
  private readonly log: Logger;
  private readonly consumers = new Set<Consumer>();
  private readonly tails = new Set<Tail>();
  private tail: { consumer: Consumer; ready: Promise<void> } | undefined;
  private closed = false;
  /** Durable queues this bus declared (operators and tests). */
  readonly queues = new Set<string>();

  constructor(private readonly options: RabbitBusOptions) {
    this.exchange = options.exchange ?? "angzarr.events";
    this.prefix = options.queuePrefix ?? "angzarr";
    this.log = (options.log ?? rootLog).child({ component: "rabbit-bus" });
    this.connection = new Connection({
      url: options.url,
      connectionName: `angzarr ${process.pid}`,
      retryLow: options.retry?.lowMs ?? 100,
      retryHigh: options.retry?.highMs ?? 5_000,
      acquireTimeout: options.publishTimeoutMs ?? 5_000,
      connectionTimeout: 5_000,
      heartbeat: 10,
    });
    this.connection.on("error", (err: Error) =>
      this.log.warn("bus.connection_error", { error: err.message }),
    );
    this.connection.on("connection", () => {
      // Each (re)connection's socket: the frames of one turn go out in one write.
      const socket = (this.connection as unknown as { _socket?: unknown })._socket;
      if (socket instanceof Writable) coalesceWrites(socket);
      else this.log.warn("bus.socket_not_found", {});
      this.log.info("bus.connected", { exchange: this.exchange });
    });
    this.publisher = this.connection.createPublisher({
      confirm: true,
      maxAttempts: 2,
      exchanges: [this.exchangeDeclaration()],
    });
    this.notifier = this.connection.createPublisher({ exchanges: [this.exchangeDeclaration()] });
  }

  /** True while the broker connection is up. */
  get connected(): boolean {
    return this.connection.ready;
  }

  /** Resolves once connected (rejects after `timeoutMs`). */
  async connect(timeoutMs = 10_000): Promise<void> {
    await this.connection.onConnect(timeoutMs, true);
  }

  /** The queue a durable subscriber `name` of `filter` consumes. */
  queueName(name: string, filter: BusFilter): string {
    return `${this.prefix}.${name}.${filter.domain === undefined ? "*" : encodeWord(filter.domain)}`;
  }

  private exchangeDeclaration() {
    return { exchange: this.exchange, type: "topic", durable: true };
  }

  /** Publishes one copy per event type; resolves once the broker confirmed every copy. */
  async publish(book: EventBook): Promise<void> {
    if (this.closed) throw new Error("bus closed");
    const sends = this.send(this.publisher, book);
    const timeoutMs = this.options.publishTimeoutMs ?? 5_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`broker did not confirm the publish within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([Promise.all(sends), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Publishes without the broker's confirm (a channel out of confirm mode) and without waiting:
   * for books nobody relies on receiving. A failure is logged.
   */
  notify(book: EventBook): void {
    if (this.closed) return;
    for (const sent of this.send(this.notifier, book)) {
      sent.catch((err: Error) =>
        this.log.warn("bus.notify_failed", { domain: book.cover?.domain, error: err.message }),
      );
    }
  }

  /** One send per event type of the book, through `publisher`. */
  private send(publisher: Publisher, book: EventBook): Promise<void>[] {
    // The bytes the command's answer reuses (book-bytes.ts), viewed, not copied.
    const encoded = encodedBook(book);
    const body = Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
    // W3C trace context of the publishing span (none when tracing is off): the consumers'
    // processes continue the trace of the command that stored the book.
    const trace = traceHeaders();
    return routingKeys(book).map(({ type, key }) =>
      publisher.send(
        {
          exchange: this.exchange,
          routingKey: key,
          durable: true,
          contentType: "application/x-protobuf",
          headers: { ...trace, [TYPE_HEADER]: type },
        },
        body,
      ),
    );
  }

  subscribe(
    name: string,
    filter: BusFilter,
    handler: BusHandler,
    options: SubscribeOptions = {},
  ): BusSubscription {
    if (options.transient) return this.subscribeTail(filter, handler);
    const queue = this.queueName(name, filter);
    this.queues.add(queue);
    const consumer = this.connection.createConsumer(
      {
        queue,
        queueOptions: { queue, durable: true },
        qos: { prefetchCount: this.options.prefetch ?? 32 },
        concurrency: 1,
        requeue: true,
        // One active consumer per queue: replicas of a consumer share its queue, the broker
        // refuses all but one (the others retry with backoff and take over when it goes).
        exclusive: true,
        exchanges: [this.exchangeDeclaration()],
        queueBindings: bindingKeys(filter).map((routingKey) => ({
          queue,
          exchange: this.exchange,
          routingKey,
        })),
      },
      (msg) => this.deliver(name, filter, handler, msg),
    );
    return this.track(consumer, name);
  }

  private track(consumer: Consumer, name: string): BusSubscription {
    this.consumers.add(consumer);
    let readyOnce: Promise<void> | undefined;
    consumer.on("error", (err: Error & { code?: string }) => {
      if (err.code === "ACCESS_REFUSED") this.log.info("bus.consumer_standby", { subscriber: name });
      else this.log.warn("bus.consumer_error", { subscriber: name, error: err.message });
    });
    consumer.on("ready", () => this.log.info("bus.consumer_active", { subscriber: name }));
    const ready = new Promise<void>((resolve) => consumer.once("ready", () => resolve()));
    return {
      active: () => consumer.consumerTag !== "" && this.connection.ready,
      unsubscribe: () => {
        if (!this.consumers.delete(consumer)) return;
        consumer
          .close()
          .catch((err: Error) => this.log.debug("bus.consumer_close_failed", { error: err.message }));
      },
      ready: () => {
        readyOnce ??= ready;
        return readyOnce;
      },
    };
  }

  /** Hands one message to the handler; a failure is retried once by the broker, then dropped. */
  private async deliver(name: string, filter: BusFilter, handler: BusHandler, msg: AsyncMessage) {
    const book = decode(msg);
    if (book === undefined) {
      this.log.warn("bus.undecodable_message", { subscriber: name, routingKey: msg.routingKey });
      return ConsumerStatus.DROP;
    }
    // Another copy of this book (routed by another of its types) is the one handed on.
    if (deliveringType(filter, book) !== typeOf(msg)) return ConsumerStatus.ACK;
    rememberTrace(msg, book);
    try {
      await handler(book);
      return ConsumerStatus.ACK;
    } catch (err) {
      this.log.warn("bus.handler_failed", {
        subscriber: name,
        redelivered: msg.redelivered,
        error: (err as Error).message,
      });
      // The consumer repairs from the store on its own; a second failure is not worth a loop.
      return msg.redelivered ? ConsumerStatus.DROP : ConsumerStatus.REQUEUE;
    }
  }

  /** Transient subscribers share one exclusive queue bound to everything, created on first use. */
  private subscribeTail(filter: BusFilter, handler: BusHandler): BusSubscription {
    const entry: Tail = { filter, handler };
    this.tails.add(entry);
    if (!this.tail) {
      const queue = `${this.prefix}.tail.${randomUUID()}`;
      const consumer = this.connection.createConsumer(
        {
          queue,
          queueOptions: { queue, exclusive: true, autoDelete: true },
          qos: { prefetchCount: 256 },
          concurrency: 1,
          exchanges: [this.exchangeDeclaration()],
          queueBindings: [{ queue, exchange: this.exchange, routingKey: "#" }],
        },
        async (msg) => {
          const book = decode(msg);
          if (book === undefined) return ConsumerStatus.DROP;
          rememberTrace(msg, book);
          for (const tail of this.tails) {
            if (!matches(tail.filter, book) || deliveringType(tail.filter, book) !== typeOf(msg)) continue;
            try {
              await tail.handler(book);
            } catch (err) {
              this.log.warn("bus.handler_failed", { subscriber: "tail", error: (err as Error).message });
            }
          }
          return ConsumerStatus.ACK;
        },
      );
      consumer.on("error", (err: Error) =>
        this.log.warn("bus.consumer_error", { subscriber: "tail", error: err.message }),
      );
      const ready = new Promise<void>((resolve) => consumer.once("ready", () => resolve()));
      this.tail = { consumer, ready };
      this.consumers.add(consumer);
    }
    const tail = this.tail;
    return {
      unsubscribe: () => {
        this.tails.delete(entry);
      },
      ready: () => tail.ready,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const consumers = [...this.consumers];
    this.consumers.clear();
    // Handlers still running get a moment to finish (and acknowledge); then the connection goes,
    // and whatever was not acknowledged comes again to the next consumer.
    const settled = Promise.allSettled([
      ...consumers.map((c) => c.close()),
      this.publisher.close(),
      this.notifier.close(),
    ]);
    const graceful = await Promise.race([settled.then(() => true), Bun.sleep(2_000).then(() => false)]);
    if (graceful) await this.connection.close().catch(() => {});
    else this.connection.unsafeDestroy();
  }
}

function decode(msg: AsyncMessage): EventBook | undefined {
  try {
    const body = msg.body;
    if (!(body instanceof Uint8Array)) return undefined;
    return fromBinary(EventBookSchema, body);
  } catch {
    return undefined;
  }
}

/** Keeps the message's trace context for the consumers that read the book from the store. */
function rememberTrace(msg: AsyncMessage, book: EventBook): void {
  const traceparent = msg.headers?.traceparent;
  if (typeof traceparent === "string") rememberBookTrace(book, traceparent);
}

function typeOf(msg: AsyncMessage): string {
  const value = msg.headers?.[TYPE_HEADER];
  return typeof value === "string" ? value : "";
}
