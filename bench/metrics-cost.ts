// What the measuring adapters cost per command, in process and without I/O: the calls one
// command makes on its ports (the store's fast-path checks and encoded history read, the handler
// round trip, the append, the bus publish) against stubs that answer at once, bare and through
// runtime/observability/instrument.ts's adapters, plus the pipeline's own command counter and
// duration. CPU time per command of this process, modes in turns.
// `bun bench/metrics-cost.ts [commands per turn] [turns]`
import type { EventBook } from "@angzarr/proto";
import type { EventBus } from "../runtime/bus/types";
import type { AggregateHandler, HandlerDirectory } from "../runtime/coordinator/ports";
import { measuredBus, measuredHandlers, measuredStorage } from "../runtime/observability/instrument";
import { commandDuration, commandsTotal, secondsSince } from "../runtime/observability/metrics";
import type { AggregateRef, EncodedHistory, Storage } from "../runtime/storage/types";

const commands = Number(process.argv[2] ?? 200_000);
const turns = Number(process.argv[3] ?? 3);

const history: EncodedHistory = { snapshot: undefined, pages: { bytes: new Uint8Array(0) } as never };
const stored = [{ sequence: { case: "num", value: 1 } }] as never;
const answer = { result: { case: "events" } } as never;
const stubStorage = {
  events: {
    getEncodedFrom: async () => history.pages,
    getEncodedHistory: async () => history,
    append: async () => stored,
  },
  snapshots: { get: async () => undefined, put: async () => {} },
} as unknown as Storage;
const stubHandler: AggregateHandler = {
  handle: async () => answer,
  handleEncoded: async () => answer,
  descriptor: async () => ({}) as never,
};
const stubDirectory: HandlerDirectory = { aggregate: () => stubHandler, aggregateDomains: () => ["counter"] };
const stubBus = {
  publish: async () => {},
  subscribe: () => ({}) as never,
  close: async () => {},
} as EventBus;

interface Ports {
  storage: Storage;
  handlers: HandlerDirectory;
  bus: EventBus;
}
const modes: Record<string, Ports> = {
  bare: { storage: stubStorage, handlers: stubDirectory, bus: stubBus },
  measured: {
    storage: measuredStorage(stubStorage),
    handlers: measuredHandlers(stubDirectory),
    bus: measuredBus(stubBus),
  },
};

const ref: AggregateRef = { domain: "counter", edition: "", root: new Uint8Array(16) };
const request = new Uint8Array(8);
const book = { cover: { domain: "counter" }, pages: [] } as unknown as EventBook;

/** The port calls of one command on the pipeline's fast path, and its own counter and histogram. */
async function command(p: Ports): Promise<void> {
  const started = performance.now();
  const events = p.storage.events;
  if (events.getEncodedFrom === undefined || events.getEncodedHistory === undefined) throw new Error("stub");
  await events.getEncodedHistory(ref);
  const handler = p.handlers.aggregate("counter");
  await handler?.handleEncoded?.(request, { correlationId: "c" });
  await p.storage.events.append(ref, [], { correlationId: "c" });
  await p.bus.publish(book);
  commandsTotal.add(1, "counter", "OK");
  commandDuration.record(secondsSince(started), "counter");
}

async function turn(p: Ports, n: number): Promise<number> {
  const from = process.cpuUsage();
  // 64 in flight, as the gateway load keeps them.
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      for (let i = 0; i < n / 64; i++) await command(p);
    }),
  );
  const used = process.cpuUsage(from);
  return (used.user + used.system) / n;
}

for (const p of Object.values(modes)) await turn(p, commands);
const results = new Map<string, number[]>(Object.keys(modes).map((m) => [m, []]));
for (let t = 0; t < turns; t++) {
  for (const [name, p] of Object.entries(modes)) results.get(name)?.push(await turn(p, commands));
}
const bare = results.get("bare") ?? [];
for (const [name, values] of results) {
  const extra = values.map((v, i) => (v - (bare[i] ?? 0)).toFixed(2));
  console.log(
    `${name}: ${values.map((v) => v.toFixed(2)).join(", ")} µs CPU per command (over bare: ${extra.join(", ")})`,
  );
}
