import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import {
  AnyPayload,
  type BusinessResponse,
  BusinessResponseSchema,
  CascadeFailureSchema,
  CommandBookSchema,
  CommandPageSchema,
  ComponentDescriptorSchema,
  type ContextualCommand,
  Covers,
  type EventBook,
  EventBookSchema,
  type EventPage,
  EventPageSchema,
  EventPages,
  Identity,
  ProjectionSchema,
  RevocationResponseSchema,
  SagaCompensationFailedSchema,
  SagaPrepareResponseSchema,
  SagaResponseSchema,
  SyncMode,
  TypeUrl,
  Uuid,
} from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { MemoryBus } from "../bus/memory/memory-bus";
import type { EventBus } from "../bus/types";
import { createMemoryStorage } from "../storage/memory";
import type { CausationStore, Storage } from "../storage/types";
import { deadlinePm } from "../testing/reactive-fixtures";
import { AggregatePipeline } from "./aggregate-pipeline";
import type { AggregateHandler } from "./ports";
import { ReactiveHost } from "./reactive-host";
import type { ProcessManagerHandler, ProjectorHandler, SagaHandler } from "./reactive-ports";
import { SAGA_FAILURE_DOMAIN, SagaCoordinator } from "./saga-coordinator";

const text = (value: string) => AnyPayload.pack(StringValueSchema, create(StringValueSchema, { value }));

/** An aggregate that records one StringValue event per command; a refusing one refuses "reject…" payloads. */
class EchoAggregate implements AggregateHandler {
  constructor(private readonly refuses = false) {}
  calls: ContextualCommand[] = [];
  revocation = create(RevocationResponseSchema, { emitSystemRevocation: true, reason: "compensated" });
  async handle(req: ContextualCommand): Promise<BusinessResponse> {
    this.calls.push(req);
    const any = req.command?.pages[0]?.command;
    if (any?.typeUrl.endsWith("angzarr.RevokeEventCommand")) {
      return create(BusinessResponseSchema, { result: { case: "revocation", value: this.revocation } });
    }
    const value = AnyPayload.unpack(any, StringValueSchema).value;
    if (this.refuses && value.startsWith("reject"))
      throw new ConnectError("Not allowed here", Code.FailedPrecondition);
    const last = req.events?.pages.at(-1);
    const next = last?.sequence.case === "num" ? last.sequence.value + 1 : 0;
    return create(BusinessResponseSchema, {
      result: {
        case: "events",
        value: create(EventBookSchema, {
          cover: req.command?.cover,
          pages: [create(EventPageSchema, { sequence: { case: "num", value: next }, event: any })],
        }),
      },
    });
  }
  async descriptor() {
    return create(ComponentDescriptorSchema, {});
  }
}

/** Translates every `src` event into the same text as a command to `dst`, same root. */
function relaySaga(calls: { n: number }): SagaHandler {
  return {
    name: "saga-src-dst",
    input: { domain: "src" },
    prepare: async () => create(SagaPrepareResponseSchema, {}),
    execute: async (req) => {
      calls.n++;
      const commands = (req.source?.pages ?? []).map((p) =>
        create(CommandBookSchema, {
          cover: Covers.make({ domain: "dst", root: req.source?.cover?.root?.value ?? new Uint8Array(16) }),
          pages: [create(CommandPageSchema, { sequence: 0, command: p.event })],
        }),
      );
      return create(SagaResponseSchema, { commands });
    },
    descriptor: async () =>
      create(ComponentDescriptorSchema, { name: "saga-src-dst", componentType: "saga" }),
  };
}

function command(
  domain: string,
  root: Uint8Array,
  value: string,
  sequence: number,
  correlationId = "",
  edition = "",
) {
  return create(CommandBookSchema, {
    cover: Covers.make({ domain, root, correlationId, edition }),
    pages: [create(CommandPageSchema, { sequence, command: text(value) })],
  });
}

describe("sagas through the reactive host", () => {
  let storage: Storage;
  let bus: MemoryBus;
  let pipeline: AggregatePipeline;
  let host: ReactiveHost;
  const sagaCalls = { n: 0 };
  let dropped = 0;
  const aggregates = new Map<string, EchoAggregate>([
    ["src", new EchoAggregate()],
    ["dst", new EchoAggregate(true)],
  ]);

  function build(options: { dropEvery?: number } = {}) {
    storage = createMemoryStorage();
    let delivered = 0;
    bus = new MemoryBus(
      options.dropEvery
        ? (subscriber) => {
            if (subscriber !== "saga-src-dst") return true;
            delivered++;
            const keep = delivered % options.dropEvery! !== 0;
            if (!keep) dropped++;
            return keep;
          }
        : undefined,
    );
    const handlers = {
      aggregate: (d: string) => aggregates.get(d),
      aggregateDomains: () => [...aggregates.keys()],
    };
    const deps = {
      events: storage.events,
      snapshots: storage.snapshots,
      editions: storage.editions,
      bus,
      handlers,
    };
    pipeline = new AggregatePipeline({ ...deps, backoff: { initialMs: 1, maxMs: 5, attempts: 5 } });
    host = new ReactiveHost({
      ...hostStores(),
      bus,
      directory: { sagas: () => [relaySaga(sagaCalls)], projectors: () => [], processManagers: () => [] },
      pollMs: 20,
    });
    pipeline.setDownstream(host);
  }

  /** The pipeline and stores a host of these tests runs on. */
  function hostStores() {
    return {
      pipeline,
      events: storage.events,
      causations: storage.causations,
      outbox: storage.outbox,
      deadLetters: storage.deadLetters,
      positions: storage.positions,
    };
  }

  beforeEach(() => {
    sagaCalls.n = 0;
    dropped = 0;
    aggregates.set("src", new EchoAggregate());
    aggregates.set("dst", new EchoAggregate(true));
  });
  afterEach(async () => {
    await host.stop();
  });

  async function dstEvents(root: Uint8Array) {
    return storage.events.get({ domain: "dst", edition: "", root });
  }

  /** A host of one projector `projector-src` on `src` (no sagas), over `over` (default the bus). */
  function projectorHost(handle: ProjectorHandler["handle"], over: EventBus = bus): ReactiveHost {
    const projector: ProjectorHandler = {
      name: "projector-src",
      input: { domain: "src" },
      synchronous: false,
      handle,
      speculate: async () => create(ProjectionSchema, {}),
      descriptor: async () =>
        create(ComponentDescriptorSchema, { name: "projector-src", componentType: "projector" }),
    };
    return new ReactiveHost({
      ...hostStores(),
      bus: over,
      directory: { sagas: () => [], projectors: () => [projector], processManagers: () => [] },
      pollMs: 10,
    });
  }

  test("a source event becomes a stamped command: correlation id, origin with the real sequence", async () => {
    build();
    await host.start();
    const root = Uuid.randomBytes();
    await pipeline.execute(command("src", root, "one", 0, "corr-A"));
    await pipeline.execute(command("src", root, "two", 1, "corr-A"));
    await host.settle();
    const dst = aggregates.get("dst") as EchoAggregate;
    expect(dst.calls).toHaveLength(2);
    const origin = dst.calls[1]?.command?.sagaOrigin;
    expect(origin?.sagaName).toBe("saga-src-dst");
    expect(origin?.triggeringEventSequence).toBe(1);
    expect(dst.calls[1]?.command?.cover?.correlationId).toBe("corr-A");
    const stored = await dstEvents(root);
    expect(stored).toHaveLength(2);
    expect((await storage.events.getByCorrelation("corr-A")).map((b) => b.cover?.domain)).toEqual([
      "dst",
      "src",
    ]);
  });

  test("each timeline has its own checkpoint, and saga reactions stay in the source's edition", async () => {
    build();
    await storage.editions.create({ name: "what-if", description: "", createdAt: new Date() });
    await host.start();
    const root = Uuid.randomBytes();
    await pipeline.execute(command("src", root, "main-event", 0, "m"));
    await pipeline.execute(command("src", root, "what-if-event", 1, "w", "what-if"));
    await host.settle();
    for (
      let i = 0;
      i < 250 && (await storage.events.get({ domain: "dst", edition: "what-if", root })).length < 2;
      i++
    ) {
      await Bun.sleep(20);
    }
    // The saga's command can land before its consumer stores the checkpoint: settle once more.
    await host.settle();
    const values = async (edition: string) =>
      (await storage.events.get({ domain: "dst", edition, root })).map(
        (p) => AnyPayload.unpack(p.event, StringValueSchema).value,
      );
    expect(await values("")).toEqual(["main-event"]);
    // The edition's composite history: the inherited main event, then its own.
    expect(await values("what-if")).toEqual(["main-event", "what-if-event"]);
    const main = await storage.positions.get("saga-src-dst", "src", "");
    const edition = await storage.positions.get("saga-src-dst", "src", "what-if");
    expect(main).toBeDefined();
    expect(edition).toBeDefined();
    expect(edition).not.toBe(main);
  });

  test("a re-delivered source book has no second effect", async () => {
    build();
    await host.start();
    const root = Uuid.randomBytes();
    const res = await pipeline.execute(command("src", root, "once", 0, "c"));
    await host.settle();
    await host.sagas.handleBook(relaySaga(sagaCalls), res.events as EventBook);
    await bus.publish(res.events as EventBook);
    await host.settle();
    expect(await dstEvents(root)).toHaveLength(1);
  });

  test("with every third bus message dropped, every effect still happens exactly once", async () => {
    build({ dropEvery: 3 });
    await host.start();
    const roots = Array.from({ length: 10 }, () => Uuid.randomBytes());
    for (const [i, root] of roots.entries()) {
      for (let s = 0; s < 3; s++) await pipeline.execute(command("src", root, `e${i}-${s}`, s, `corr-${i}`));
    }
    for (let i = 0; i < 250 && (await Promise.all(roots.map(dstEvents))).some((e) => e.length < 3); i++) {
      await Bun.sleep(20);
    }
    expect(dropped).toBeGreaterThan(5);
    for (const root of roots) {
      const events = await dstEvents(root);
      expect(events.map((p) => AnyPayload.unpack(p.event, StringValueSchema).value)).toHaveLength(3);
    }
  });

  test("a consumer stopped mid-stream resumes from its checkpoint: nothing skipped, nothing twice", async () => {
    build();
    const roots = Array.from({ length: 6 }, () => Uuid.randomBytes());
    for (const [i, root] of roots.entries())
      await pipeline.execute(command("src", root, `x${i}`, 0, `k-${i}`));
    await host.start();
    await host.stop();
    for (const [i, root] of roots.entries())
      await pipeline.execute(command("src", root, `y${i}`, 1, `k-${i}`));
    build2();
    await host.start();
    await host.settle();
    for (const root of roots) expect(await dstEvents(root)).toHaveLength(2);

    function build2() {
      // Same storage and pipeline, a fresh host (as after a restart).
      host = new ReactiveHost({
        pipeline,
        events: storage.events,
        causations: storage.causations,
        outbox: storage.outbox,
        deadLetters: storage.deadLetters,
        positions: storage.positions,
        bus,
        directory: { sagas: () => [relaySaga(sagaCalls)], projectors: () => [], processManagers: () => [] },
        pollMs: 20,
      });
    }
  });

  test("a consumer killed at several points while events stream resumes each time: nothing skipped, nothing twice", async () => {
    build();
    const fresh = () =>
      new ReactiveHost({
        pipeline,
        events: storage.events,
        causations: storage.causations,
        outbox: storage.outbox,
        deadLetters: storage.deadLetters,
        positions: storage.positions,
        bus,
        directory: { sagas: () => [relaySaga(sagaCalls)], projectors: () => [], processManagers: () => [] },
        pollMs: 10,
      });
    host = fresh();
    await host.start();
    const roots = Array.from({ length: 5 }, () => Uuid.randomBytes());
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 40; i++) {
      const root = roots[i % roots.length] as Uint8Array;
      writes.push(
        pipeline.execute(command("src", root, `v${i}`, Math.floor(i / roots.length), `s-${i % 5}`)),
      );
      if (i % 8 === 7) {
        // Kill mid-stream (no waiting for the consumer to finish), then start a new one.
        void host.stop();
        host = fresh();
        await host.start();
      }
    }
    await Promise.all(writes);
    await host.settle();
    for (const root of roots) {
      const values = (await dstEvents(root)).map((p) => AnyPayload.unpack(p.event, StringValueSchema).value);
      expect(values).toHaveLength(8);
      expect(new Set(values).size).toBe(8);
    }
  });

  test("a projection rebuild resets the checkpoint and replays every book to the projector", async () => {
    build();
    const seen: string[] = [];
    host = projectorHost(async (book) => {
      for (const p of book.pages) seen.push(AnyPayload.unpack(p.event, StringValueSchema).value);
      return create(ProjectionSchema, { projector: "projector-src" });
    });
    await host.start();
    const root = Uuid.randomBytes();
    for (let i = 0; i < 5; i++) await pipeline.execute(command("src", root, `p${i}`, i, "r"));
    await host.settle();
    expect(seen).toEqual(["p0", "p1", "p2", "p3", "p4"]);
    const replayed = await host.rebuildProjection("projector-src");
    expect(replayed).toBe(5);
    expect(seen).toHaveLength(10);
    expect(seen.slice(5)).toEqual(["p0", "p1", "p2", "p3", "p4"]);
    await expect(host.rebuildProjection("nope")).rejects.toThrow("No projector registered with name: nope");
  });

  test("a projector's output goes to the bus's notify: the book's processing never waits for the broker", async () => {
    build();
    // A bus whose confirmed publish of a projection would never resolve (a broker that does not
    // confirm): the stream takes notify, so the projector's checkpoint moves on all the same.
    const notified: EventBook[] = [];
    const streaming = Object.assign(Object.create(bus) as MemoryBus, {
      publish: (book: EventBook) =>
        book.cover?.domain.startsWith("_projection.")
          ? new Promise<void>(() => undefined)
          : bus.publish(book),
      notify: (book: EventBook) => {
        notified.push(book);
      },
    });
    host = projectorHost(
      async (book) =>
        create(ProjectionSchema, {
          projector: "projector-src",
          sequence: EventPages.sequence(book.pages[0] as EventPage),
        }),
      streaming,
    );
    await host.start();
    for (let i = 0; i < 3; i++)
      await pipeline.execute(command("src", Uuid.randomBytes(), `n${i}`, 0, `corr-${i}`));
    await host.settle();
    const seen = notified.map((b) => [
      b.cover?.domain,
      b.cover?.correlationId,
      EventPages.sequence(b.pages[0] as EventPage),
    ]);
    expect(seen.sort((a, b) => String(a[1]).localeCompare(String(b[1])))).toEqual([
      ["_projection.projector-src.src", "corr-0", 0],
      ["_projection.projector-src.src", "corr-1", 0],
      ["_projection.projector-src.src", "corr-2", 0],
    ]);
    const head = await storage.events.headPosition();
    expect(await storage.positions.get("projector-src", "src", "")).toBe(head);
  });

  test("a refused saga command is compensated: RevokeEventCommand to the trigger, system record, cascade reports it", async () => {
    build();
    const root = Uuid.randomBytes();
    const err = (await pipeline
      .execute(command("src", root, "reject-me", 0, "corr-R"), SyncMode.CASCADE)
      .catch((e) => e)) as ConnectError;
    expect(err.code).toBe(Code.FailedPrecondition);
    // The command itself was persisted: the caller is told so, with the events and who failed.
    expect(err.rawMessage).toBe(
      "Cascade failed after the command was persisted (src events 0..0): saga-src-dst: command to dst rejected: Not allowed here",
    );
    const [detail] = err.findDetails(CascadeFailureSchema);
    expect(detail?.persisted?.events?.cover?.domain).toBe("src");
    expect(detail?.persisted?.events?.pages.map((p) => EventPages.sequence(p))).toEqual([0]);
    expect(detail?.failures.map((f) => [f.component, f.reason])).toEqual([
      ["saga-src-dst", "command to dst rejected: Not allowed here"],
    ]);
    expect(await storage.events.get({ domain: "src", edition: "", root })).toHaveLength(1);
    const src = aggregates.get("src") as EchoAggregate;
    const revoke = src.calls.at(-1)?.command;
    expect(revoke?.pages[0]?.command?.typeUrl).toEndWith("angzarr.RevokeEventCommand");
    expect(revoke?.sagaOrigin?.triggeringEventSequence).toBe(0);
    const failures = await storage.events.get({ domain: SAGA_FAILURE_DOMAIN, edition: "", root });
    expect(failures).toHaveLength(1);
    const record = AnyPayload.unpack(failures[0]?.event, SagaCompensationFailedSchema);
    expect(record.sagaName).toBe("saga-src-dst");
    expect(record.rejectionReason).toBe("Not allowed here");
  });

  test("RevocationResponse flags: dead-letter and abort are honoured", async () => {
    build();
    (aggregates.get("src") as EchoAggregate).revocation = create(RevocationResponseSchema, {
      sendToDeadLetterQueue: true,
      abort: true,
      reason: "stop here",
    });
    const root = Uuid.randomBytes();
    const err = (await pipeline
      .execute(command("src", root, "reject", 0, "c"), SyncMode.CASCADE)
      .catch((e) => e)) as ConnectError;
    expect(err.rawMessage).toContain("aborted: stop here");
    const dlq = await storage.deadLetters.list();
    expect(dlq).toHaveLength(1);
    expect(dlq[0]?.consumer).toBe("saga-src-dst");
  });

  test("a dead-lettered refused command can be replayed once the cause is fixed", async () => {
    build();
    (aggregates.get("src") as EchoAggregate).revocation = create(RevocationResponseSchema, {
      sendToDeadLetterQueue: true,
      reason: "park it",
    });
    const root = Uuid.randomBytes();
    await pipeline
      .execute(command("src", root, "reject-later", 0, "c"), SyncMode.CASCADE)
      .catch(() => undefined);
    const [entry] = await storage.deadLetters.list();
    expect(entry).toBeDefined();
    aggregates.set("dst", new EchoAggregate(false));
    await host.replay(entry!);
    expect(await dstEvents(root)).toHaveLength(1);
    expect((await storage.deadLetters.fetch(entry!.id))?.replayedAt).toBeDefined();
    expect(await storage.deadLetters.list()).toHaveLength(0);
  });

  test("a PM deadline: scheduled among its events, delivered once as ProcessTimeout, re-armed after a restart", async () => {
    build();
    const pm = deadlinePm("pmg-watch", "src", "watch", "dst", 150);
    const start = (p: ProcessManagerHandler) => {
      host = new ReactiveHost({
        pipeline,
        events: storage.events,
        causations: storage.causations,
        outbox: storage.outbox,
        deadLetters: storage.deadLetters,
        positions: storage.positions,
        bus,
        directory: { sagas: () => [], projectors: () => [], processManagers: () => [p] },
        pollMs: 20,
      });
      return host.start();
    };
    await start(pm);
    const root = Uuid.randomBytes();
    await pipeline.execute(command("src", root, "begin", 0, "t-1"));
    await host.settle();
    await host.stop(); // stopped before the deadline: the schedule must survive in the PM's history
    await start(pm);
    const pmRoot = Identity.processManagerRoot("t-1");
    for (
      let i = 0;
      i < 250 && (await storage.events.get({ domain: "watch", edition: "", root: pmRoot })).length < 2;
      i++
    ) {
      await Bun.sleep(20);
    }
    const history = await storage.events.get({ domain: "watch", edition: "", root: pmRoot });
    expect(history.map((p) => TypeUrl.fullName(p.event?.typeUrl ?? ""))).toEqual([
      "angzarr.ProcessTimeout",
      "google.protobuf.StringValue",
    ]);
    // The PM's command goes out through the outbox after its events are stored.
    const firedOnce = () => storage.events.get({ domain: "dst", edition: "", root: pmRoot });
    for (let i = 0; i < 250 && (await firedOnce()).length < 1; i++) await Bun.sleep(20);
    expect(await firedOnce()).toHaveLength(1);
    await host.stop();
    await start(pm); // delivered already: not again
    await Bun.sleep(150);
    expect(await storage.events.get({ domain: "dst", edition: "", root: pmRoot })).toHaveLength(1);
  });

  test("CASCADE answers only after the saga's command has been persisted", async () => {
    build();
    const root = Uuid.randomBytes();
    await pipeline.execute(command("src", root, "chain", 0, "c"), SyncMode.CASCADE);
    expect(await dstEvents(root)).toHaveLength(1);
  });
});

describe("a saga's causation lookups", () => {
  test("a page seen for the first time is decided without a lookup; seen again, its record answers without a second decision", async () => {
    const storage = createMemoryStorage();
    const bus = new MemoryBus();
    const aggregates = new Map([
      ["src", new EchoAggregate()],
      ["dst", new EchoAggregate()],
    ]);
    const pipeline = new AggregatePipeline({
      events: storage.events,
      snapshots: storage.snapshots,
      editions: storage.editions,
      bus,
      handlers: {
        aggregate: (d: string) => aggregates.get(d),
        aggregateDomains: () => [...aggregates.keys()],
      },
    });
    let lookups = 0;
    const store = storage.causations;
    const causations: CausationStore = {
      record: (key, outcome) => store.record(key, outcome),
      has: (key) => {
        lookups++;
        return store.has(key);
      },
      outcome: (key) => store.outcome(key),
      deleteEdition: (edition) => store.deleteEdition(edition),
    };
    const deps = {
      pipeline,
      events: storage.events,
      causations,
      deadLetters: storage.deadLetters,
      outbox: storage.outbox,
      bus,
    };
    const calls = { n: 0 };
    const saga = relaySaga(calls);
    const root = Uuid.randomBytes();
    const source = (await pipeline.execute(command("src", root, "once", 0, "c"))).events as EventBook;
    const delivered = (r: { books: EventBook[] }) =>
      r.books.map((b) => `${b.cover?.domain}:${b.pages.map((p) => EventPages.sequence(p)).join(",")}`);

    const sagas = new SagaCoordinator(deps);
    const first = await sagas.handleBook(saga, source);
    expect([lookups, calls.n]).toEqual([0, 1]);
    expect(delivered(first)).toEqual(["dst:0"]);

    // Seen again (a cascade's book reaching the consumer too): looked up, answered by its record.
    const again = await sagas.handleBook(saga, source);
    expect([lookups, calls.n]).toEqual([1, 1]);
    expect(delivered(again)).toEqual(["dst:0"]);

    // After a restart (nothing seen): decided again, refused by the decision's write, answered by
    // the record; one command delivered in all.
    const restarted = new SagaCoordinator(deps);
    const replayed = await restarted.handleBook(saga, source);
    expect([lookups, calls.n]).toEqual([1, 2]);
    expect(delivered(replayed)).toEqual(["dst:0"]);
    expect(await storage.events.get({ domain: "dst", edition: "", root })).toHaveLength(1);
  });
});
