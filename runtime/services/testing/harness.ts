// An in-process runtime behind a real gateway socket, for integration tests: memory storage, the
// in-process bus, the aggregate pipeline, and aggregates reached through the SDK router in memory.
import { AnyPayload, type CommandBook, CommandBooks, Covers, Uuid } from "@angzarr/proto";
import {
  type Aggregate,
  aggregateComponent,
  buildRouter,
  type Component,
  MemoryClient,
  type ProcessManagerProgram,
  type ProjectorProgram,
  processManagerComponent,
  projectorComponent,
  type Saga,
  sagaComponent,
} from "@angzarr/sdk";
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import type { Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { MemoryBus } from "../../bus/memory/memory-bus";
import type { BusFilter, BusHandler, BusSubscription, EventBus, SubscribeOptions } from "../../bus/types";
import { AggregatePipeline } from "../../coordinator/aggregate-pipeline";
import type { AggregateHandler, HandlerDirectory } from "../../coordinator/ports";
import { ReactiveHost } from "../../coordinator/reactive-host";
import type { ReactiveDirectory } from "../../coordinator/reactive-ports";
import { TopologyRecorder } from "../../coordinator/topology-recorder";
import type { Upcasters } from "../../coordinator/upcasting";
import { createMemoryStorage } from "../../storage/memory";
import type { DeadLetterEntry, Storage } from "../../storage/types";
import { aggregateClient } from "../../transport/aggregate-client";
import { processManagerClient, projectorClient, sagaClient } from "../../transport/reactive-clients";
import { type AdminListener, startAdminListener } from "../admin-listener";
import type { RuntimeCatalog } from "../deps";
import { type Gateway, startGateway } from "../gateway-server";

/** Wraps a bus to count live subscriptions (stream tests wait for the server to subscribe). */
export class CountingBus implements EventBus {
  active = 0;
  constructor(readonly inner: EventBus) {}

  publish(book: Parameters<EventBus["publish"]>[0]): Promise<void> {
    return this.inner.publish(book);
  }

  subscribe(
    name: string,
    filter: BusFilter,
    handler: BusHandler,
    options?: SubscribeOptions,
  ): BusSubscription {
    const sub = this.inner.subscribe(name, filter, handler, options);
    this.active++;
    let live = true;
    return {
      unsubscribe: () => {
        if (live) this.active--;
        live = false;
        sub.unsubscribe();
      },
      ready: () => sub.ready(),
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
  /** The topology recorder, when asked for. */
  topology: TopologyRecorder | undefined;
  /** The sagas, PMs and projectors host, when the runtime was given any. */
  reactive: ReactiveHost | undefined;
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
  /** The admin listener (operator services), on its own port. */
  admin: AdminListener;
  /** A Connect (binary, HTTP/2) transport to the admin listener, without a token; closed by stop(). */
  adminConnect(): Transport;
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

/** SDK sagas, process managers and projectors served in memory, as the coordinator sees them. */
export function reactiveDirectoryOf(entries: {
  sagas?: Saga[];
  // biome-ignore lint/suspicious/noExplicitAny: any state schema
  processManagers?: ProcessManagerProgram<any>[];
  projectors?: { program: ProjectorProgram; synchronous?: boolean }[];
}): ReactiveDirectory {
  const client = (component: Component) => new MemoryClient(buildRouter(component));
  const filter = (i: { domain: string; eventTypes: string[] }) => ({
    domain: i.domain,
    eventTypes: [...i.eventTypes],
  });
  const sagas = (entries.sagas ?? []).map((s) => {
    const input = filter(s.descriptor().inputs[0] ?? { domain: "", eventTypes: [] });
    return sagaClient(s.name, input, client(sagaComponent(s)));
  });
  const pms = (entries.processManagers ?? []).map((pm) =>
    processManagerClient(
      pm.name,
      pm.definition.stateDomain,
      pm.descriptor().inputs.map(filter),
      client(processManagerComponent(pm)),
    ),
  );
  const projectors = (entries.projectors ?? []).map(({ program, synchronous }) => {
    const input = filter(program.descriptor().inputs[0] ?? { domain: "", eventTypes: [] });
    return projectorClient(program.name, input, synchronous ?? false, client(projectorComponent(program)));
  });
  return { sagas: () => sagas, processManagers: () => pms, projectors: () => projectors };
}

export async function startTestRuntime(
  aggregates: AggregateEntry[],
  options: {
    streamIdleMs?: number;
    maxMessageBytes?: number;
    replayDeadLetter?: (entry: DeadLetterEntry) => Promise<void>;
    rebuildProjection?: (projector: string) => Promise<number>;
    catalog?: RuntimeCatalog;
    deleteEditionReadModels?: (edition: string) => Promise<void>;
    /** Sagas, PMs and projectors: a reactive host is started for them. */
    reactive?: ReactiveDirectory;
    upcasters?: Upcasters;
    /** Default: memory storage. */
    storage?: Storage;
    /** Records the topology under this publisher name (components described at start, flows). */
    topology?: string;
    /** Gateway connection limits. */
    idleTimeoutMs?: number;
    maxConnectionsPerClient?: number;
    /** The admin listener's bearer token (default none). */
    adminToken?: string;
  } = {},
): Promise<TestRuntime> {
  const storage = options.storage ?? createMemoryStorage();
  const bus = new CountingBus(new MemoryBus());
  const handlers = directoryOf(aggregates);
  const {
    reactive: directory,
    upcasters,
    storage: _storage,
    topology,
    adminToken,
    ...gatewayOptions
  } = options;
  let recorder: TopologyRecorder | undefined;
  if (topology) {
    recorder = new TopologyRecorder(storage.events, bus, topology);
    const descriptors = await Promise.all([
      ...handlers.aggregateDomains().map((d) => (handlers.aggregate(d) as AggregateHandler).descriptor()),
      ...(directory?.sagas() ?? []).map((s) => s.descriptor()),
      ...(directory?.processManagers() ?? []).map((p) => p.descriptor()),
      ...(directory?.projectors() ?? []).map((p) => p.descriptor()),
    ]);
    await recorder.start(descriptors);
  }
  const pipeline = new AggregatePipeline({
    events: storage.events,
    snapshots: storage.snapshots,
    editions: storage.editions,
    handlers,
    bus,
    ...(upcasters ? { upcasters } : {}),
  });
  let reactive: ReactiveHost | undefined;
  if (directory) {
    reactive = new ReactiveHost({
      pipeline,
      events: storage.events,
      causations: storage.causations,
      deadLetters: storage.deadLetters,
      outbox: storage.outbox,
      positions: storage.positions,
      editions: storage.editions,
      bus,
      directory,
      pollMs: 50,
      ...(upcasters ? { upcast: upcasters.upcast } : {}),
      ...(recorder ? { flows: recorder } : {}),
    });
    pipeline.setDownstream(reactive);
    await reactive.start();
  }
  const host = reactive;
  const services = {
    pipeline,
    storage,
    bus,
    handlers,
    shutdownGraceMs: 200,
    ...(upcasters ? { upcast: upcasters.upcast } : {}),
    ...(host
      ? {
          speculator: host.speculator,
          extraDomains: () => directory?.processManagers().map((pm) => pm.stateDomain) ?? [],
          deleteEditionReadModels: (edition: string) => host.deleteEditionReadModels(edition),
          rebuildProjection: (name: string) => host.rebuildProjection(name),
        }
      : {}),
    ...gatewayOptions,
  };
  const gateway = await startGateway({ ...services, port: 0 });
  const admin = await startAdminListener({
    ...services,
    port: 0,
    ...(adminToken !== undefined ? { token: adminToken } : {}),
  });
  const managers: Http2SessionManager[] = [];
  const manager = (url = gateway.url) => {
    const m = new Http2SessionManager(url);
    managers.push(m);
    return m;
  };
  return {
    storage,
    topology: recorder,
    reactive,
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
    admin,
    adminConnect: () =>
      createConnectTransport({
        baseUrl: admin.url,
        httpVersion: "2",
        useBinaryFormat: true,
        sessionManager: manager(admin.url),
      }),
    async stop() {
      for (const m of managers) m.abort();
      await gateway.stop();
      await admin.stop();
      await reactive?.stop();
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
