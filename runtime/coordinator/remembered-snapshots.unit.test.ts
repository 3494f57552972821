// rememberSnapshots: an aggregate's next command is decided on the snapshot the pipeline's own
// last append stored (no history read); another writer's append in between never lets a decision
// on the older state be stored, and never answers a client with the remembered sequence.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import {
  AnyPayload,
  type CommandBook,
  CommandBookSchema,
  CommandPageSchema,
  ContextualCommandSchema,
  Covers,
  EventBookSchema,
  EventBooks,
  SagaCommandOriginSchema,
  Uuid,
} from "@angzarr/proto";
import { aggregateComponent, buildRouter, gatherBody, MemoryClient } from "@angzarr/sdk";
import { create, fromBinary } from "@bufbuild/protobuf";
import { Int64ValueSchema, StringValueSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { MemoryBus } from "../bus/memory/memory-bus";
import { openSqliteStorage } from "../storage/sqlite";
import type { AggregateRef, EventStore, Storage } from "../storage/types";
import { echoAggregate } from "../testing/fixtures/echo-agg";
import { aggregateClient } from "../transport/aggregate-client";
import { AggregatePipeline } from "./aggregate-pipeline";
import type { AggregateHandler } from "./ports";

const root = Uuid.fromText("5f0c2a8e-1b2c-4d3e-8f40-516273849a0b");
const ref: AggregateRef = { domain: "echo", edition: "", root };

function command(text: string, sequence: number, saga = false, at: Uint8Array = root): CommandBook {
  return create(CommandBookSchema, {
    cover: Covers.make({ domain: "echo", root: at, correlationId: "corr-r" }),
    pages: [
      create(CommandPageSchema, {
        sequence,
        command: AnyPayload.pack(StringValueSchema, create(StringValueSchema, { value: text })),
      }),
    ],
    ...(saga
      ? { sagaOrigin: create(SagaCommandOriginSchema, { sagaName: "s", triggeringEventSequence: 1 }) }
      : {}),
  });
}

describe("aggregate pipeline: remembered snapshots", () => {
  let storage: Storage;
  let bus: MemoryBus;
  /** History reads of the remembering pipeline's store. */
  let reads: number;
  /** The events (as snapshot sequence + pages) the remembering pipeline's handler was sent. */
  let sent: { snapshot: number | undefined; pages: number }[];
  let remembering: AggregatePipeline;
  let other: AggregatePipeline;

  beforeEach(async () => {
    storage = await openSqliteStorage(":memory:");
    bus = new MemoryBus();
    reads = 0;
    sent = [];
    const client = aggregateClient(new MemoryClient(buildRouter(aggregateComponent(echoAggregate("echo")))));
    const recording: AggregateHandler = {
      handle: (request, options) => client.handle(request, options),
      handleEncoded: async (request, options) => {
        const bytes = (await gatherBody(request)).slice();
        const contextual = fromBinary(ContextualCommandSchema, bytes);
        const events = contextual.events;
        sent.push({ snapshot: events?.snapshot?.sequence, pages: events?.pages.length ?? 0 });
        // A command that a new aggregate refuses.
        const text = AnyPayload.unpack(contextual.command?.pages[0]?.command, StringValueSchema).value;
        if (text === "needs-history" && events?.snapshot === undefined && (events?.pages.length ?? 0) === 0)
          throw new ConnectError("no history yet", Code.FailedPrecondition);
        const response = await client.handleEncoded(bytes, options);
        // Pages the store numbers: only the append's expected next can refuse them.
        if (response.result.case === "events")
          for (const page of response.result.value.pages) page.sequence = { case: "force", value: true };
        return response;
      },
      descriptor: (options) => client.descriptor(options),
    };
    const inner = storage.events;
    const counted: EventStore = Object.create(inner);
    counted.getEncodedFrom = (r, from) => {
      reads++;
      return inner.getEncodedFrom?.(r, from) ?? Promise.reject(new Error("no encoded reads"));
    };
    counted.getEncodedHistory = (r, windows) => {
      reads++;
      return inner.getEncodedHistory?.(r, windows) ?? Promise.reject(new Error("no encoded reads"));
    };
    const handlers = { aggregate: () => recording, aggregateDomains: () => ["echo"] };
    const backoff = { initialMs: 1, maxMs: 2, attempts: 5 };
    const deps = { snapshots: storage.snapshots, editions: storage.editions, bus, handlers, backoff };
    remembering = new AggregatePipeline({ ...deps, events: counted, rememberSnapshots: true });
    other = new AggregatePipeline({ ...deps, events: storage.events });
  });

  afterEach(async () => {
    await bus.close();
    await storage.close();
  });

  const stateAfter = async () => {
    const snapshot = await storage.snapshots.get(ref);
    return snapshot && Number(AnyPayload.unpack(snapshot.state, Int64ValueSchema).value);
  };

  test("an aggregate's next command is decided on the snapshot its last append stored, unread", async () => {
    for (let i = 0; i < 4; i++) await remembering.execute(command(`v${i}`, i));
    // The first, at sequence 0, names a new aggregate: decided unread too (presumed new).
    expect(reads).toBe(0);
    // The handler got the snapshot at the previous page, and no page after it.
    expect(sent).toEqual([
      { snapshot: undefined, pages: 0 },
      { snapshot: 0, pages: 0 },
      { snapshot: 1, pages: 0 },
      { snapshot: 2, pages: 0 },
    ]);
    expect((await storage.events.get(ref)).length).toBe(4);
    expect(await stateAfter()).toBe(4);
  });

  /** Two commands through the remembering pipeline, then a third through the other writer. */
  const appendedBehindItsBack = async () => {
    await remembering.execute(command("a", 0));
    await remembering.execute(command("b", 1));
    await other.execute(command("c", 2));
  };

  test("a client's sequence past the remembered one is decided on the store's history", async () => {
    await appendedBehindItsBack();
    const response = await remembering.execute(command("d", 3));
    expect(response.events?.pages[0]?.sequence).toEqual({ case: "num", value: 3 });
    expect(sent.at(-1)).toEqual({ snapshot: 2, pages: 0 });
    expect((await storage.events.get(ref)).length).toBe(4);
    expect(await stateAfter()).toBe(4);
  });

  test("a stale client sequence equal to the remembered one is refused with the store's book", async () => {
    await appendedBehindItsBack();
    let failure: ConnectError | undefined;
    try {
      await remembering.execute(command("late", 2));
    } catch (err) {
      failure = ConnectError.from(err);
    }
    expect(failure?.code).toBe(Code.Aborted);
    const told = failure?.findDetails(EventBookSchema)[0];
    expect(told && EventBooks.nextSequence(told)).toBe(3);
    expect((await storage.events.get(ref)).length).toBe(3);
    expect(await stateAfter()).toBe(3);
    // Forgotten: the next command reads the store and goes through.
    await remembering.execute(command("d", 3));
    expect(await stateAfter()).toBe(4);
  });

  test("a saga's command after another writer's append is stored on the store's history", async () => {
    await remembering.execute(command("a", 0));
    await other.execute(command("b", 1));
    const response = await remembering.execute(command("s", 0, true));
    expect(response.events?.pages[0]?.sequence).toEqual({ case: "num", value: 2 });
    expect((await storage.events.get(ref)).length).toBe(3);
    // The state stored counts every event: the decision was taken on the history with "b".
    expect(await stateAfter()).toBe(3);
  });

  const failureOf = async (run: Promise<unknown>): Promise<ConnectError | undefined> => {
    try {
      await run;
    } catch (err) {
      return ConnectError.from(err);
    }
    return undefined;
  };

  test("a client's command at sequence 0 to an aggregate with a history is refused with the store's book", async () => {
    await other.execute(command("a", 0));
    await other.execute(command("b", 1));
    const failure = await failureOf(remembering.execute(command("late", 0)));
    expect(failure?.code).toBe(Code.Aborted);
    const told = failure?.findDetails(EventBookSchema)[0];
    expect(told && EventBooks.nextSequence(told)).toBe(2);
    expect((await storage.events.get(ref)).length).toBe(2);
    expect(await stateAfter()).toBe(2);
  });

  test("a refusal decided on a presumed empty history stands only when the store holds none", async () => {
    const fresh = Uuid.fromText("0e0c2a8e-1b2c-4d3e-8f40-516273849a0b");
    const failure = await failureOf(remembering.execute(command("needs-history", 0, false, fresh)));
    expect(failure?.code).toBe(Code.FailedPrecondition);
    expect(reads).toBe(1); // the refusal checked against the store
    expect(await storage.events.get({ ...ref, root: fresh })).toEqual([]);
  });

  test("a saga's commands are decided unread after 16 new aggregates in a row, on the history when there is one", async () => {
    const rootAt = (i: number) => Uuid.fromText(`5f0c2a8e-1b2c-4d3e-8f40-${String(i).padStart(12, "0")}`);
    for (let i = 1; i <= 16; i++) await remembering.execute(command(`s${i}`, 0, true, rootAt(i)));
    expect(reads).toBe(16);
    await remembering.execute(command("s17", 0, true, rootAt(17)));
    expect(reads).toBe(16);
    expect((await storage.events.get({ ...ref, root: rootAt(17) })).length).toBe(1);
    // An existing aggregate: the decision on the presumed empty history is refused by the
    // append and the command decided again on the store's history (its state counts "a", "b").
    await other.execute(command("a", 0));
    await other.execute(command("b", 1));
    const sentBefore = sent.length;
    const response = await remembering.execute(command("needs-history", 0, true));
    expect(response.events?.pages[0]?.sequence).toEqual({ case: "num", value: 2 });
    expect(sent.slice(sentBefore)).toEqual([
      { snapshot: undefined, pages: 0 },
      { snapshot: 1, pages: 0 },
    ]);
    expect((await storage.events.get(ref)).length).toBe(3);
    expect(await stateAfter()).toBe(3);
    expect(reads).toBe(17);
    // The count starts again: the next saga command to a new aggregate is read first.
    await remembering.execute(command("s18", 0, true, rootAt(18)));
    expect(reads).toBe(18);
  });
});
