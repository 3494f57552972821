import { beforeEach, describe, expect, test } from "bun:test";
import {
  AnyPayload,
  type BusinessResponse,
  BusinessResponseSchema,
  CommandBookSchema,
  CommandPageSchema,
  type ComponentDescriptor,
  type ContextualCommand,
  CoverSchema,
  Covers,
  type EventBook,
  EventBookSchema,
  EventPageSchema,
  SagaCommandOriginSchema,
  Uuid,
} from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { MemoryBus } from "../bus/memory/memory-bus";
import { createMemoryStorage } from "../storage/memory";
import type { Storage } from "../storage/types";
import { AggregatePipeline } from "./aggregate-pipeline";
import type { AggregateHandler } from "./ports";

/** A scriptable aggregate: by default one StringValue event per command, echoing its payload. */
class ScriptedHandler implements AggregateHandler {
  calls: ContextualCommand[] = [];
  respond: (req: ContextualCommand) => BusinessResponse = (req) => echo(req);
  async handle(req: ContextualCommand) {
    this.calls.push(req);
    return this.respond(req);
  }
  async descriptor(): Promise<ComponentDescriptor> {
    throw new Error("unused");
  }
}

function nextOf(book: EventBook | undefined): number {
  const last = book?.pages.at(-1);
  if (last?.sequence.case === "num") return last.sequence.value + 1;
  return book?.snapshot ? book.snapshot.sequence + 1 : 0;
}

function echo(
  req: ContextualCommand,
  options: { omitCover?: boolean; snapshot?: boolean } = {},
): BusinessResponse {
  const next = nextOf(req.events);
  const payload = req.command?.pages[0]?.command;
  return create(BusinessResponseSchema, {
    result: {
      case: "events",
      value: create(EventBookSchema, {
        ...(options.omitCover ? {} : { cover: req.command?.cover }),
        pages: [create(EventPageSchema, { sequence: { case: "num", value: next }, event: payload })],
        ...(options.snapshot
          ? {
              snapshotState: AnyPayload.pack(
                StringValueSchema,
                create(StringValueSchema, { value: `at-${next}` }),
              ),
            }
          : {}),
      }),
    },
  });
}

const root = Uuid.fromText("eb8052f7-3398-5b3a-99f8-7d84e926a184");

function command(
  text: string,
  sequence: number,
  extra: { correlationId?: string; edition?: string; saga?: boolean } = {},
) {
  return create(CommandBookSchema, {
    cover: Covers.make({
      domain: "echo",
      root,
      correlationId: extra.correlationId ?? "",
      edition: extra.edition ?? "",
    }),
    pages: [
      create(CommandPageSchema, {
        sequence,
        command: AnyPayload.pack(StringValueSchema, create(StringValueSchema, { value: text })),
      }),
    ],
    ...(extra.saga
      ? { sagaOrigin: create(SagaCommandOriginSchema, { sagaName: "saga-test", triggeringEventSequence: 3 }) }
      : {}),
  });
}

describe("aggregate command pipeline", () => {
  let storage: Storage;
  let bus: MemoryBus;
  let handler: ScriptedHandler;
  let pipeline: AggregatePipeline;
  let published: EventBook[];

  beforeEach(() => {
    storage = createMemoryStorage();
    bus = new MemoryBus();
    published = [];
    bus.subscribe("spy", {}, (b) => {
      published.push(b);
    });
    handler = new ScriptedHandler();
    pipeline = new AggregatePipeline({
      events: storage.events,
      snapshots: storage.snapshots,
      editions: storage.editions,
      bus,
      handlers: { aggregate: (d) => (d === "echo" ? handler : undefined), aggregateDomains: () => ["echo"] },
      backoff: { initialMs: 1, maxMs: 5, attempts: 5 },
    });
  });

  test("persists the handler's events and assigns a correlation id written into every cover", async () => {
    const res = await pipeline.execute(command("a", 0));
    const corr = res.events?.cover?.correlationId ?? "";
    expect(corr).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(handler.calls[0]?.command?.cover?.correlationId).toBe(corr);
    const stored = await storage.events.get({ domain: "echo", edition: "", root });
    expect(stored).toHaveLength(1);
    expect(stored[0]?.createdAt).toBeDefined();
    const byCorr = await storage.events.getByCorrelation(corr);
    expect(byCorr).toHaveLength(1);
  });

  test("identical commands without a correlation id get identical ids; a caller's id is kept", async () => {
    const a = await pipeline.execute(command("same", 0));
    await storage.events.deleteEdition("echo", "x").catch(() => 0);
    const other = createMemoryStorage();
    const p2 = new AggregatePipeline({
      events: other.events,
      snapshots: other.snapshots,
      editions: other.editions,
      bus,
      handlers: { aggregate: () => handler, aggregateDomains: () => ["echo"] },
    });
    const b = await p2.execute(command("same", 0));
    expect(a.events?.cover?.correlationId).toBe(b.events?.cover?.correlationId ?? "");
    const c = await pipeline.execute(command("next", 1, { correlationId: "mine" }));
    expect(c.events?.cover?.correlationId).toBe("mine");
  });

  test("a stale client sequence is ABORTED at once with the current book, without calling the handler", async () => {
    await pipeline.execute(command("a", 0));
    handler.calls = [];
    const err = (await pipeline.execute(command("b", 0)).catch((e) => e)) as ConnectError;
    expect(err.code).toBe(Code.Aborted);
    expect(err.rawMessage).toBe("Sequence mismatch: command expects 0, aggregate at 1");
    expect(handler.calls).toHaveLength(0);
    const detail = err.findDetails(EventBookSchema)[0];
    expect(detail?.pages).toHaveLength(1);
  });

  test("cover, root, domain and pages are checked with the contract's messages", async () => {
    const cases: [ReturnType<typeof create<typeof CommandBookSchema>>, Code, string][] = [
      [create(CommandBookSchema, {}), Code.InvalidArgument, "CommandBook must have a cover"],
      [
        create(CommandBookSchema, { cover: create(CoverSchema, { domain: "echo" }) }),
        Code.InvalidArgument,
        "Cover must have a root UUID",
      ],
      [
        create(CommandBookSchema, {
          cover: create(CoverSchema, { domain: "echo", root: { value: new Uint8Array(3) } }),
        }),
        Code.InvalidArgument,
        "Invalid UUID: ",
      ],
      [
        create(CommandBookSchema, { cover: Covers.make({ domain: "nope", root }) }),
        Code.NotFound,
        "No handler registered for domain: nope",
      ],
      [
        create(CommandBookSchema, { cover: Covers.make({ domain: "echo", root }) }),
        Code.InvalidArgument,
        "at least one page",
      ],
    ];
    for (const [book, code, message] of cases) {
      const err = (await pipeline.execute(book).catch((e) => e)) as ConnectError;
      expect(err.code).toBe(code);
      expect(err.rawMessage).toContain(message);
    }
  });

  test("handler rejections pass through with their code and message", async () => {
    handler.respond = () => {
      throw new ConnectError("Order already exists", Code.FailedPrecondition);
    };
    const err = (await pipeline.execute(command("a", 0)).catch((e) => e)) as ConnectError;
    expect(err.code).toBe(Code.FailedPrecondition);
    expect(err.rawMessage).toBe("Order already exists");
    expect(await storage.events.get({ domain: "echo", edition: "", root })).toHaveLength(0);
  });

  test("a revocation answer is FAILED_PRECONDITION `Command revoked: {reason}`", async () => {
    handler.respond = () =>
      create(BusinessResponseSchema, { result: { case: "revocation", value: { reason: "nope" } } });
    const err = (await pipeline.execute(command("a", 0)).catch((e) => e)) as ConnectError;
    expect(err.code).toBe(Code.FailedPrecondition);
    expect(err.rawMessage).toBe("Command revoked: nope");
  });

  test("a handler book without a cover takes the command's cover (events are not lost)", async () => {
    handler.respond = (req) => echo(req, { omitCover: true });
    const res = await pipeline.execute(command("a", 0, { correlationId: "c1" }));
    expect(res.events?.cover?.domain).toBe("echo");
    await bus.idle();
    expect(published[0]?.cover?.correlationId).toBe("c1");
    expect(await storage.events.get({ domain: "echo", edition: "", root })).toHaveLength(1);
  });

  test("snapshot state is stored with the events and the next load starts from it", async () => {
    handler.respond = (req) => echo(req, { snapshot: true });
    await pipeline.execute(command("a", 0));
    await pipeline.execute(command("b", 1));
    const last = handler.calls.at(-1);
    expect(last?.events?.snapshot?.sequence).toBe(0);
    expect(last?.events?.pages).toHaveLength(0);
    expect((await storage.snapshots.get({ domain: "echo", edition: "", root }))?.sequence).toBe(1);
  });

  test("an empty result persists and publishes nothing", async () => {
    handler.respond = () => create(BusinessResponseSchema, {});
    const res = await pipeline.execute(command("a", 0));
    expect(res.events?.pages).toHaveLength(0);
    await bus.idle();
    expect(published).toHaveLength(0);
  });

  test("wrong numbering from a handler is a sequence conflict and stores nothing", async () => {
    handler.respond = (req) => {
      const r = echo(req);
      if (r.result.case === "events" && r.result.value.pages[0])
        r.result.value.pages[0].sequence = { case: "num", value: 7 };
      return r;
    };
    const err = (await pipeline.execute(command("a", 0)).catch((e) => e)) as ConnectError;
    expect(err.code).toBe(Code.Aborted);
    expect(err.rawMessage).toBe("Sequence conflict: expected 0, got 7");
  });

  test("saga commands skip the client check, are stamped with the next sequence and retried on conflict", async () => {
    await pipeline.execute(command("a", 0));
    let raced = false;
    handler.respond = (req) => {
      if (!raced) {
        raced = true;
        // Another writer lands first: this attempt's explicit number is now stale.
        void storage.events.append(
          { domain: "echo", edition: "", root },
          [
            create(EventPageSchema, {
              sequence: { case: "force", value: true },
              event: AnyPayload.pack(StringValueSchema, create(StringValueSchema, { value: "other" })),
            }),
          ],
          { correlationId: "x" },
        );
      }
      return echo(req);
    };
    const res = await pipeline.execute(command("from-saga", 0, { saga: true }));
    expect(res.events?.pages[0]?.sequence).toEqual({ case: "num", value: 2 });
    expect(handler.calls.length).toBeGreaterThanOrEqual(2);
    expect(handler.calls.at(-1)?.command?.pages[0]?.sequence).toBe(2);
  });

  test("8 concurrent clients on one aggregate: exactly one event per sequence", async () => {
    await pipeline.execute(command("seed", 0));
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => pipeline.execute(command(`c${i}`, 1))),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results)
      if (r.status === "rejected") expect((r.reason as ConnectError).code).toBe(Code.Aborted);
    const stored = await storage.events.get({ domain: "echo", edition: "", root });
    expect(stored.map((p) => (p.sequence.case === "num" ? p.sequence.value : -1))).toEqual([0, 1]);
  });

  test("dry run answers against history as of a sequence and persists nothing", async () => {
    await pipeline.execute(command("a", 0));
    await pipeline.execute(command("b", 1));
    const res = await pipeline.dryRun({
      $typeName: "angzarr.DryRunRequest",
      command: command("what-if", 1),
      pointInTime: { $typeName: "angzarr.TemporalQuery", pointInTime: { case: "asOfSequence", value: 0 } },
    });
    expect(res.events?.pages[0]?.sequence).toEqual({ case: "num", value: 1 });
    expect(await storage.events.get({ domain: "echo", edition: "", root })).toHaveLength(2);
    const err = (await pipeline
      .dryRun({ $typeName: "angzarr.DryRunRequest", command: command("x", 0) })
      .catch((e) => e)) as ConnectError;
    expect(err.rawMessage).toBe("DryRun requires either as_of_sequence or as_of_timestamp");
  });

  test("a command or dry run into an edition never created is NOT_FOUND; a bad name INVALID_ARGUMENT; nothing stored", async () => {
    const failure = async (run: () => Promise<unknown>) => (await run().catch((e) => e)) as ConnectError;
    const asOf = {
      $typeName: "angzarr.TemporalQuery",
      pointInTime: { case: "asOfSequence", value: 0 },
    } as const;
    for (const run of [
      () => pipeline.execute(command("x", 0, { edition: "never-created" })),
      () =>
        pipeline.dryRun({
          $typeName: "angzarr.DryRunRequest",
          command: command("x", 0, { edition: "never-created" }),
          pointInTime: asOf,
        }),
    ]) {
      const err = await failure(run);
      expect([err.code, err.rawMessage]).toEqual([
        Code.NotFound,
        "No edition registered with name: never-created",
      ]);
    }
    for (const bad of ["../../etc/passwd", "x'; DROP TABLE events;--", "nul\u0000byte", "z".repeat(5000)]) {
      const err = await failure(() => pipeline.execute(command("x", 0, { edition: bad })));
      expect(err.code).toBe(Code.InvalidArgument);
      expect(err.rawMessage).toStartWith("Invalid edition name ");
      expect(err.rawMessage.length).toBeLessThan(300);
    }
    expect(handler.calls).toHaveLength(0);
    expect(await storage.events.listAggregates()).toEqual([]);
  });

  test("commands into an edition read the composite history and write only into the edition", async () => {
    await storage.editions.create({ name: "what-if", description: "", createdAt: new Date() });
    await pipeline.execute(command("main-0", 0));
    const res = await pipeline.execute(command("ed-1", 1, { edition: "what-if" }));
    expect(res.events?.pages[0]?.sequence).toEqual({ case: "num", value: 1 });
    expect(await storage.events.get({ domain: "echo", edition: "", root })).toHaveLength(1);
    expect(await storage.events.get({ domain: "echo", edition: "what-if", root })).toHaveLength(2);
    // "angzarr" is the main timeline too.
    const main = await pipeline.execute(command("main-1", 1, { edition: "angzarr" }));
    expect(main.events?.pages[0]?.sequence).toEqual({ case: "num", value: 1 });
    expect(await storage.events.get({ domain: "echo", edition: "", root })).toHaveLength(2);
  });
});
