// An in-process runtime behind a real gateway socket, for integration tests: memory storage, the
// in-process bus, the aggregate pipeline, and aggregates reached through the SDK router in memory.
import { AnyPayload, type CommandBook, CommandBooks, Covers, Uuid } from "@angzarr/proto";
import { type Aggregate, aggregateComponent, buildRouter, type Component, MemoryClient } from "@angzarr/sdk";
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import type { Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { MemoryBus } from "../../bus/memory/memory-bus";
import type { BusFilter, BusHandler, BusSubscription, EventBus } from "../../bus/types";
import { AggregatePipeline } from "../../coordinator/aggregate-pipeline";
import type { AggregateHandler, HandlerDirectory } from "../../coordinator/ports";
import { createMemoryStorage } from "../../storage/memory";
import type { DeadLetterEntry, Storage } from "../../storage/types";
import { aggregateClient } from "../../transport/aggregate-client";
import type { RuntimeCatalog } from "../deps";
import { type Gateway, startGateway } from "../gateway-server";

/** Wraps a bus to count live subscriptions (stream tests wait for the server to subscribe). */
export class CountingBus implements EventBus {
  active = 0;
  constructor(readonly inner: EventBus) {}

  publish(book: Parameters<EventBus["publish"]>[0]): Promise<void> {
    return this.inner.publish(book);
  }

  subscribe(name: string, filter: BusFilter, handler: BusHandler): BusSubscription {
    const sub = this.inner.subscribe(name, filter, handler);
    this.active++;
    let live = true;
    return {
      unsubscribe: () => {
        if (live) this.active--;
        live = false;
        sub.unsubscribe();
      },
    };
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** Resolves once at least `n` subscriptions are live (polls; fails after `timeoutMs`). */
  async waitFor(n: number, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.active < n) {
      if (Date.now() > deadline) throw new Error(`expected ${n} bus subscriptions, have ${this.active}`);
      await Bun.sleep(5);
    }
  }
}

export interface TestRuntime {
  storage: Storage;
  bus: CountingBus;
  pipeline: AggregatePipeline;
  gateway: Gateway;
  url: string;
  /** A Connect (binary, HTTP/2) transport; closed by stop(). */
  connect(): Transport;
  /** A Connect transport over HTTP/1.1. */
  connectHttp1(): Transport;
  /** A gRPC transport (HTTP/2); closed by stop(). */
  grpc(): Transport;
  stop(): Promise<void>;
}

/** One aggregate program, served in memory: its domain and SDK component. */
export interface AggregateEntry {
  domain: string;
  component: Component;
}

export function aggregateEntry<SD extends DescMessage>(aggregate: Aggregate<SD>): AggregateEntry {
  return { domain: aggregate.domain, component: aggregateComponent(aggregate) };
}

/** Handler directory over SDK routers called in memory (real encoding, no socket). */
export function directoryOf(entries: AggregateEntry[]): HandlerDirectory {
  const table = new Map<string, AggregateHandler>();
  for (const { domain, component } of entries) {
    table.set(domain, aggregateClient(new MemoryClient(buildRouter(component))));
  }
  return {
    aggregate: (domain) => table.get(domain),
    aggregateDomains: () => [...table.keys()],
  };
}

export async function startTestRuntime(
  aggregates: AggregateEntry[],
  options: {
    streamIdleMs?: number;
    maxMessageBytes?: number;
    replayDeadLetter?: (entry: DeadLetterEntry) => Promise<void>;
    rebuildProjection?: (projector: string) => Promise<number>;
    catalog?: RuntimeCatalog;
  } = {},
): Promise<TestRuntime> {
  const storage = createMemoryStorage();
  const bus = new CountingBus(new MemoryBus());
  const handlers = directoryOf(aggregates);
  const pipeline = new AggregatePipeline({
    events: storage.events,
    snapshots: storage.snapshots,
    editions: storage.editions,
    handlers,
    bus,
  });
  const gateway = await startGateway({
    port: 0,
    pipeline,
    storage,
    bus,
    handlers,
    shutdownGraceMs: 200,
    ...options,
  });
  const managers: Http2SessionManager[] = [];
  const manager = () => {
    const m = new Http2SessionManager(gateway.url);
    managers.push(m);
    return m;
  };
  return {
    storage,
    bus,
    pipeline,
    gateway,
    url: gateway.url,
    connect: () =>
      createConnectTransport({
        baseUrl: gateway.url,
        httpVersion: "2",
        useBinaryFormat: true,
        sessionManager: manager(),
      }),
    connectHttp1: () =>
      createConnectTransport({ baseUrl: gateway.url, httpVersion: "1.1", useBinaryFormat: true }),
    grpc: () => createGrpcTransport({ baseUrl: gateway.url, sessionManager: manager() }),
    async stop() {
      for (const m of managers) m.abort();
      await gateway.stop();
      await bus.close();
      await storage.close();
    },
  };
}

/** A one-page client command for `domain`/`root` packing `command` at `sequence`. */
export function command<D extends DescMessage>(
  domain: string,
  root: Uint8Array,
  schema: D,
  message: MessageShape<D>,
  sequence = 0,
  correlationId = "",
): CommandBook {
  return CommandBooks.make(
    Covers.make({ domain, root, correlationId }),
    AnyPayload.pack(schema, message),
    sequence,
  );
}

export { Uuid };
