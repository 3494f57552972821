// Measuring adapters: each wraps a port (storage, bus, handler directory) and records into the
// runtime's metrics around the real call, leaving behaviour and errors exactly as they were.

import type { EventBook } from "@angzarr/proto";
import {
  activeTraceparent,
  annotateSpan,
  type CallOptions,
  type RequestBody,
  type RpcClient,
  traceHeaders,
  tracingEnabled,
} from "@angzarr/sdk";
import { Code, ConnectError } from "@connectrpc/connect";
import type { BusFilter, BusHandler, EventBus, SubscribeOptions } from "../bus/types";
import type { AggregateHandler, HandlerDirectory } from "../coordinator/ports";
import type { EventStore, SnapshotStore, Storage } from "../storage/types";
import type { HistogramCell } from "./local-metrics";
import {
  busAcked,
  busPublished,
  eventsAppended,
  handlerRoundTrip,
  secondsSince,
  snapshotReads,
  storeDuration,
} from "./metrics";

/** The gRPC code name of an error (OK when there is none), as the metrics label it. */
export function codeOf(err: unknown): string {
  if (err === undefined) return "OK";
  const code = err instanceof ConnectError ? err.code : Code.Unknown;
  return (Code[code] ?? "Unknown").replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

/**
 * A view of `target` whose `overrides` replace some methods; every other member is the target's
 * own, methods bound to it once (backends keep private state the wrapper must not see), other
 * properties read through to it. A plain object built once: what a call through it costs is the
 * target's call (a Proxy paid a trap on every member read).
 */
function withOverrides<T extends object>(target: T, overrides: Partial<T>): T {
  const view: Record<PropertyKey, unknown> = {};
  for (
    let proto: object | null = target;
    proto !== null && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    for (const key of Reflect.ownKeys(proto)) {
      if (key === "constructor" || Object.hasOwn(view, key) || Object.hasOwn(overrides, key)) continue;
      const own = Object.getOwnPropertyDescriptor(proto, key);
      if (typeof own?.value === "function") view[key] = own.value.bind(target);
      // Fields and accessors are read (and written) on the target, as they change.
      else
        Object.defineProperty(view, key, {
          get: () => Reflect.get(target, key, target),
          set: (next: unknown) => Reflect.set(target, key, next, target),
          enumerable: true,
        });
    }
  }
  return Object.assign(view, overrides) as T;
}

// Store latency by operation: the label is fixed per method, so each keeps its cell.
const appendLatency = storeDuration.cell("append");
const loadLatency = storeDuration.cell("load");
const readAllLatency = storeDuration.cell("read_all");
const snapshotGetLatency = storeDuration.cell("snapshot_get");
const snapshotPutLatency = storeDuration.cell("snapshot_put");

/** Times `run` into a store-latency cell. */
async function timed<T>(cell: HistogramCell, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await run();
  } finally {
    cell.record(secondsSince(started));
  }
}

function measuredEvents(events: EventStore): EventStore {
  const getEncodedFrom = events.getEncodedFrom?.bind(events);
  const getEncodedHistory = events.getEncodedHistory?.bind(events);
  return withOverrides<EventStore>(events, {
    // Not a span of its own (a span costs as much as the command's own tracing): the sequence
    // range stored becomes attributes of the command's span. The span's traceparent is stored
    // with the pages: a consumer reads them from the store and continues that trace (or follows
    // its "not sampled" decision) from there (trace-links.ts).
    append: async (ref, pages, options) => {
      const started = performance.now();
      try {
        const traceparent = activeTraceparent();
        const stored = await events.append(ref, pages, traceparent ? { ...options, traceparent } : options);
        if (stored.length > 0) {
          eventsAppended.add(stored.length, ref.domain);
          if (traceparent !== undefined) {
            annotateSpan(() => {
              const first = stored[0]?.sequence;
              const last = stored.at(-1)?.sequence;
              return {
                "angzarr.sequence.first": first?.case === "num" ? first.value : -1,
                "angzarr.sequence.last": last?.case === "num" ? last.value : -1,
              };
            });
          }
        }
        return stored;
      } finally {
        appendLatency.record(secondsSince(started));
      }
    },
    get: (ref) => timed(loadLatency, () => events.get(ref)),
    getFrom: (ref, from) => timed(loadLatency, () => events.getFrom(ref, from)),
    ...(getEncodedFrom
      ? { getEncodedFrom: (ref, from) => timed(loadLatency, () => getEncodedFrom(ref, from)) }
      : {}),
    // A command's load: its snapshot read counts as one, as through SnapshotStore.get.
    ...(getEncodedHistory
      ? {
          getEncodedHistory: async (ref) => {
            const started = performance.now();
            try {
              const history = await getEncodedHistory(ref);
              snapshotReads.add(1, ref.domain, history.snapshot ? "hit" : "miss");
              return history;
            } finally {
              loadLatency.record(secondsSince(started));
            }
          },
        }
      : {}),
    readAll: (after, limit, filter) => timed(readAllLatency, () => events.readAll(after, limit, filter)),
  });
}

function measuredSnapshots(snapshots: SnapshotStore): SnapshotStore {
  return withOverrides<SnapshotStore>(snapshots, {
    get: async (ref) => {
      const started = performance.now();
      try {
        const found = await snapshots.get(ref);
        snapshotReads.add(1, ref.domain, found ? "hit" : "miss");
        return found;
      } finally {
        snapshotGetLatency.record(secondsSince(started));
      }
    },
    put: (ref, snapshot) => timed(snapshotPutLatency, () => snapshots.put(ref, snapshot)),
  });
}

/** Storage whose event and snapshot stores are measured (latency, events appended, snapshot hits). */
export function measuredStorage(storage: Storage): Storage {
  const events = measuredEvents(storage.events);
  const snapshots = measuredSnapshots(storage.snapshots);
  return withOverrides<Storage>(storage, { events, snapshots });
}

/** A bus counting publishes by domain and finished deliveries by subscriber. */
export function measuredBus<B extends EventBus>(bus: B): B {
  const overrides: Pick<EventBus, "publish" | "subscribe"> = {
    // Not a span of its own: a consumer continues the trace stored with the pages it reads, and
    // a bus between processes carries the publishing span's traceparent as well.
    publish: async (book: EventBook) => {
      await bus.publish(book);
      busPublished.add(1, book.cover?.domain ?? "");
    },
    subscribe: (name: string, filter: BusFilter, handler: BusHandler, options?: SubscribeOptions) => {
      const acked = busAcked.cell(name, "ack");
      const nacked = busAcked.cell(name, "nack");
      return bus.subscribe(
        name,
        filter,
        async (book) => {
          try {
            await handler(book);
            acked.add(1);
          } catch (err) {
            nacked.add(1);
            throw err;
          }
        },
        options,
      );
    },
  };
  return withOverrides<B>(bus, overrides as Partial<B>);
}

/** Times a call to a handler program into the round-trip histogram. */
export function roundTrip<T>(component: string, method: string, call: () => Promise<T>): Promise<T> {
  return timedCall(handlerRoundTrip.cell(component, method, "OK"), component, method, call);
}

/** Times `call` into `ok` (the call's cell for code OK) or, when it fails, its code's cell. */
async function timedCall<T>(
  ok: HistogramCell,
  component: string,
  method: string,
  call: () => Promise<T>,
): Promise<T> {
  const started = performance.now();
  try {
    const result = await call();
    ok.record(secondsSince(started));
    return result;
  } catch (err) {
    handlerRoundTrip.record(secondsSince(started), component, method, codeOf(err ?? new Error("rejected")));
    throw err;
  }
}

function measuredAggregate(domain: string, handler: AggregateHandler): AggregateHandler {
  const handleEncoded = handler.handleEncoded?.bind(handler);
  // The label set of a call that succeeds, looked up once.
  const ok = handlerRoundTrip.cell(domain, "Handle", "OK");
  return {
    handle: (request, options) => timedCall(ok, domain, "Handle", () => handler.handle(request, options)),
    ...(handleEncoded
      ? {
          handleEncoded: (request: RequestBody, options?: Parameters<typeof handleEncoded>[1]) =>
            timedCall(ok, domain, "Handle", () => handleEncoded(request, options)),
        }
      : {}),
    descriptor: (options) => handler.descriptor(options),
  };
}

/** Aggregate handlers whose calls are timed (one wrapper per handler, made once). */
export function measuredHandlers(directory: HandlerDirectory): HandlerDirectory {
  const wrapped = new Map<AggregateHandler, AggregateHandler>();
  return {
    aggregate: (domain) => {
      const handler = directory.aggregate(domain);
      if (handler === undefined) return undefined;
      let measured = wrapped.get(handler);
      if (measured === undefined) {
        measured = measuredAggregate(domain, handler);
        wrapped.set(handler, measured);
      }
      return measured;
    },
    aggregateDomains: () => directory.aggregateDomains(),
  };
}

/**
 * A handler program's RPC client whose calls carry the active span's W3C `traceparent` (when
 * tracing is on), so the program's server span is a child of the caller's span (the command's or
 * the consumer's): no client span of its own, the program's span covers the call.
 */
export function tracedRpc(client: RpcClient): RpcClient {
  return {
    address: client.address,
    raw: (path: string, body: RequestBody, options: CallOptions = {}) => {
      if (!tracingEnabled()) return client.raw(path, body, options);
      const trace = traceHeaders();
      return client.raw(
        path,
        body,
        trace.traceparent === undefined ? options : { ...options, headers: { ...options.headers, ...trace } },
      );
    },
  };
}
