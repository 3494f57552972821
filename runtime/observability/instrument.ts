// Measuring adapters: each wraps a port (storage, bus, handler directory) and records into the
// runtime's metrics around the real call, leaving behaviour and errors exactly as they were.

import type { EventBook } from "@angzarr/proto";
import {
  activeTraceparent,
  annotateSpan,
  type CallOptions,
  type RpcClient,
  traceHeaders,
  tracingEnabled,
} from "@angzarr/sdk";
import { Code, ConnectError } from "@connectrpc/connect";
import type { BusFilter, BusHandler, EventBus, SubscribeOptions } from "../bus/types";
import type { AggregateHandler, HandlerDirectory } from "../coordinator/ports";
import type { EventStore, SnapshotStore, Storage } from "../storage/types";
import {
  busAcked,
  busPublished,
  eventsAppended,
  handlerRoundTrip,
  secondsSince,
  snapshotReads,
  storeDuration,
} from "./metrics";
import { rememberBookTrace, rememberTrace } from "./trace-links";

/** The gRPC code name of an error (OK when there is none), as the metrics label it. */
export function codeOf(err: unknown): string {
  if (err === undefined) return "OK";
  const code = err instanceof ConnectError ? err.code : Code.Unknown;
  return (Code[code] ?? "Unknown").replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

/** Times `run` into the store-latency histogram under `operation`. */
async function timed<T>(operation: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await run();
  } finally {
    storeDuration.record(secondsSince(started), { operation });
  }
}

/**
 * A view of `target` whose `overrides` replace some methods; every other member is the target's
 * own, bound to it (backends keep private state the wrapper must not see).
 */
function withOverrides<T extends object>(target: T, overrides: Partial<T>): T {
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(object, property) {
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof T];
      const value = Reflect.get(object, property, object);
      if (typeof value !== "function") return value;
      let method = bound.get(property);
      if (method === undefined) {
        method = value.bind(object);
        bound.set(property, method);
      }
      return method;
    },
  });
}

function measuredEvents(events: EventStore): EventStore {
  const getEncodedFrom = events.getEncodedFrom?.bind(events);
  const getEncodedHistory = events.getEncodedHistory?.bind(events);
  return withOverrides<EventStore>(events, {
    // Not a span of its own (a span costs as much as the command's own tracing): the sequence
    // range stored becomes attributes of the command's span. The span's traceparent is stored
    // with the pages, for consumers that read them before their bus message.
    append: (ref, pages, options) =>
      timed("append", async () => {
        const traceparent = activeTraceparent();
        const stored = await events.append(ref, pages, traceparent ? { ...options, traceparent } : options);
        if (stored.length > 0) {
          eventsAppended.add(stored.length, { domain: ref.domain });
          if (traceparent !== undefined) {
            const sequences = stored.map((p) => (p.sequence.case === "num" ? p.sequence.value : -1));
            rememberTrace(ref.domain, ref.edition, ref.root, sequences, traceparent);
            annotateSpan({
              "angzarr.sequence.first": sequences[0] ?? -1,
              "angzarr.sequence.last": sequences.at(-1) ?? -1,
            });
          }
        }
        return stored;
      }),
    get: (ref) => timed("load", () => events.get(ref)),
    getFrom: (ref, from) => timed("load", () => events.getFrom(ref, from)),
    ...(getEncodedFrom
      ? { getEncodedFrom: (ref, from) => timed("load", () => getEncodedFrom(ref, from)) }
      : {}),
    // A command's load: its snapshot read counts as one, as through SnapshotStore.get.
    ...(getEncodedHistory
      ? {
          getEncodedHistory: (ref) =>
            timed("load", async () => {
              const history = await getEncodedHistory(ref);
              snapshotReads.add(1, { domain: ref.domain, result: history.snapshot ? "hit" : "miss" });
              return history;
            }),
        }
      : {}),
    readAll: (after, limit, filter) => timed("read_all", () => events.readAll(after, limit, filter)),
  });
}

function measuredSnapshots(snapshots: SnapshotStore): SnapshotStore {
  return withOverrides<SnapshotStore>(snapshots, {
    get: (ref) =>
      timed("snapshot_get", async () => {
        const found = await snapshots.get(ref);
        snapshotReads.add(1, { domain: ref.domain, result: found ? "hit" : "miss" });
        return found;
      }),
    put: (ref, snapshot) => timed("snapshot_put", () => snapshots.put(ref, snapshot)),
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
    // Not a span of its own: the bus message carries the publishing (command's) span's
    // traceparent, so consumers' spans are children of the command's span.
    publish: async (book: EventBook) => {
      // A consumer of this process continues the trace that published the book.
      rememberBookTrace(book);
      await bus.publish(book);
      busPublished.add(1, { domain: book.cover?.domain ?? "" });
    },
    subscribe: (name: string, filter: BusFilter, handler: BusHandler, options?: SubscribeOptions) =>
      bus.subscribe(
        name,
        filter,
        async (book) => {
          try {
            await handler(book);
            busAcked.add(1, { subscriber: name, result: "ack" });
          } catch (err) {
            busAcked.add(1, { subscriber: name, result: "nack" });
            throw err;
          }
        },
        options,
      ),
  };
  return withOverrides<B>(bus, overrides as Partial<B>);
}

/** Times a call to a handler program into the round-trip histogram. */
export async function roundTrip<T>(component: string, method: string, call: () => Promise<T>): Promise<T> {
  const started = performance.now();
  let failure: unknown;
  try {
    return await call();
  } catch (err) {
    failure = err ?? new Error("rejected");
    throw err;
  } finally {
    handlerRoundTrip.record(secondsSince(started), { component, method, code: codeOf(failure) });
  }
}

function measuredAggregate(domain: string, handler: AggregateHandler): AggregateHandler {
  const handleEncoded = handler.handleEncoded?.bind(handler);
  return {
    handle: (request, options) => roundTrip(domain, "Handle", () => handler.handle(request, options)),
    ...(handleEncoded
      ? {
          handleEncoded: (request: Uint8Array, options?: Parameters<typeof handleEncoded>[1]) =>
            roundTrip(domain, "Handle", () => handleEncoded(request, options)),
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
    raw: (path: string, body: Uint8Array, options: CallOptions = {}) => {
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
