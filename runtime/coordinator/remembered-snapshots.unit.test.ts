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

function command(text: string, sequence: number, saga = false): CommandBook {
  return create(CommandBookSchema, {
    cover: Covers.make({ domain: "echo", root, correlationId: "corr-r" }),
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
        const events = fromBinary(ContextualCommandSchema, bytes).events;
        sent.push({ snapshot: events?.snapshot?.sequence, pages: events?.pages.length ?? 0 });
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
    expect(reads).toBe(1);
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
});
