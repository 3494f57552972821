// The pipeline's fast path (a store with getEncodedFrom, a handler with handleEncoded): the
// handler receives, byte for byte, the request the general path would encode; answers, errors
// and stored results are the same on both paths.
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
  EventPageSchema,
  SagaCommandOriginSchema,
  SnapshotSchema,
  Uuid,
} from "@angzarr/proto";
import { aggregateComponent, buildRouter, gatherBody, joinBody, MemoryClient, seeded } from "@angzarr/sdk";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { ConnectError } from "@connectrpc/connect";
import { MemoryBus } from "../bus/memory/memory-bus";
import { encodePageRows } from "../storage/encoded-pages";
import { openSqliteStorage } from "../storage/sqlite";
import type { AggregateRef, Storage } from "../storage/types";
import { echoAggregate } from "../testing/fixtures/echo-agg";
import { aggregateClient } from "../transport/aggregate-client";
import { AggregatePipeline } from "./aggregate-pipeline";
import { encodeHandlerRequest, encodePriorBook, handlerRequestParts } from "./handler-request";
import type { AggregateHandler } from "./ports";
import { UpcasterRegistry } from "./upcasting";

const root = Uuid.fromText("0b7d1f8e-5a51-4c4e-9d1e-2f3a4b5c6d7e");

function command(
  text: string,
  sequence: number,
  extra: { edition?: string; saga?: boolean } = {},
): CommandBook {
  return create(CommandBookSchema, {
    cover: Covers.make({ domain: "echo", root, correlationId: "corr-1", edition: extra.edition ?? "" }),
    pages: [
      create(CommandPageSchema, {
        sequence,
        command: AnyPayload.pack(StringValueSchema, create(StringValueSchema, { value: text })),
      }),
    ],
    ...(extra.saga
      ? { sagaOrigin: create(SagaCommandOriginSchema, { sagaName: "s", triggeringEventSequence: 1 }) }
      : {}),
  });
}

describe("handler request encoding", () => {
  test("equals protobuf-es's ContextualCommand, with and without a snapshot", () => {
    const rows = [
      [0, 1_700_000_000, 5, "type.googleapis.com/google.protobuf.StringValue", Uint8Array.of(0x0a, 1, 0x61)],
      [1, 0, 0, null, null],
      [2, -5, 999_999_999, new TextEncoder().encode("x/ÿ.Z"), new Uint8Array(200).fill(3)],
      [3, 1, -1, "", new Uint8Array(0)],
    ] as const;
    const pages = encodePageRows(rows);
    const decodedPages = fromBinary(EventBookSchema, pages.bytes).pages;
    expect(decodedPages.map((p) => p.sequence)).toEqual(
      [0, 1, 2, 3].map((value) => ({ case: "num", value })),
    );
    expect(decodedPages[3]?.createdAt?.nanos).toBe(-1);
    expect(pages.lastSequence).toBe(3);
    const cover = Covers.make({ domain: "echo", root, correlationId: "c", edition: "what-if" });
    for (const snapshot of [
      undefined,
      create(SnapshotSchema, {
        sequence: 7,
        state: AnyPayload.pack(StringValueSchema, create(StringValueSchema)),
      }),
    ]) {
      const cmd = command("go", 4, { saga: true });
      const expected = toBinary(
        ContextualCommandSchema,
        create(ContextualCommandSchema, {
          events: create(EventBookSchema, { cover, pages: decodedPages, ...(snapshot ? { snapshot } : {}) }),
          command: cmd,
        }),
      );
      expect(encodeHandlerRequest({ cover, snapshot, pages }, cmd)).toEqual(expected);
      expect(fromBinary(EventBookSchema, encodePriorBook({ cover, snapshot, pages }))).toEqual(
        fromBinary(ContextualCommandSchema, expected).events as never,
      );
    }
  });

  test("a large history goes out as parts: the store's page bytes themselves, between a head and the command", () => {
    const random = seeded(17);
    const types = ["type.googleapis.com/google.protobuf.StringValue", "type.test/t.Big", ""];
    for (const count of [1, 700, 3_000]) {
      const rows = Array.from({ length: count }, (_, i) => {
        const size = Math.floor(random() * 300);
        const payload = new Uint8Array(size).map(() => Math.floor(random() * 256));
        const type = random() < 0.05 ? null : (types[Math.floor(random() * types.length)] as string);
        return [i, Math.floor(random() * 2 ** 33), Math.floor(random() * 1e9), type, payload] as const;
      });
      const pages = encodePageRows(rows);
      const decodedPages = fromBinary(EventBookSchema, pages.bytes).pages;
      const cover = Covers.make({ domain: "echo", root, correlationId: "c" });
      for (const snapshot of [
        undefined,
        create(SnapshotSchema, {
          sequence: 7,
          state: AnyPayload.pack(StringValueSchema, create(StringValueSchema, { value: "s" })),
        }),
      ]) {
        const cmd = command("go", count);
        const expected = toBinary(
          ContextualCommandSchema,
          create(ContextualCommandSchema, {
            events: create(EventBookSchema, {
              cover,
              pages: decodedPages,
              ...(snapshot ? { snapshot } : {}),
            }),
            command: cmd,
          }),
        );
        const parts = handlerRequestParts({ cover, snapshot, pages }, cmd);
        expect(joinBody(parts)).toEqual(expected);
        expect(encodeHandlerRequest({ cover, snapshot, pages }, cmd)).toEqual(expected);
        if (pages.bytes.length >= 64 * 1024) {
          expect(parts.length).toBe(3);
          expect(parts[1]).toBe(pages.bytes);
        } else expect(parts.length).toBe(1);
      }
    }
  });
});

describe("aggregate pipeline: encoded fast path", () => {
  let storage: Storage;
  let bus: MemoryBus;
  /** What the handler received on each path (encoded requests as sent). */
  let encodedCalls: Uint8Array[];
  let decodedCalls: Uint8Array[];
  let fast: AggregatePipeline;
  let general: AggregatePipeline;

  beforeEach(async () => {
    storage = await openSqliteStorage(":memory:");
    bus = new MemoryBus();
    encodedCalls = [];
    decodedCalls = [];
    const client = aggregateClient(new MemoryClient(buildRouter(aggregateComponent(echoAggregate("echo")))));
    const recording: AggregateHandler = {
      handle: (request, options) => {
        decodedCalls.push(toBinary(ContextualCommandSchema, request));
        return client.handle(request, options);
      },
      handleEncoded: async (request, options) => {
        encodedCalls.push((await gatherBody(request)).slice());
        return client.handleEncoded(request, options);
      },
      descriptor: (options) => client.descriptor(options),
    };
    const withoutFastPath: AggregateHandler = { handle: recording.handle, descriptor: recording.descriptor };
    const deps = { events: storage.events, snapshots: storage.snapshots, editions: storage.editions, bus };
    fast = new AggregatePipeline({
      ...deps,
      handlers: { aggregate: () => recording, aggregateDomains: () => ["echo"] },
    });
    general = new AggregatePipeline({
      ...deps,
      handlers: { aggregate: () => withoutFastPath, aggregateDomains: () => ["echo"] },
    });
  });

  afterEach(async () => {
    await bus.close();
    await storage.close();
  });

  test("the handler gets the general path's bytes, with and without a snapshot; same results", async () => {
    const ref: AggregateRef = { domain: "echo", edition: "", root };
    for (let i = 0; i < 9; i++) {
      // Every answer stores a snapshot; drop it now and then so some books start at page 0.
      if (i % 3 === 2) await storage.snapshots.delete(ref);
      const useFast = i % 2 === 0;
      const cmd = command(`v${i}`, i);
      const before = await fast.currentBook(cmd.cover as NonNullable<CommandBook["cover"]>);
      const response = await (useFast ? fast : general).execute(cmd);
      expect(response.events?.pages.map((p) => p.sequence)).toEqual([{ case: "num", value: i }]);
      const sent = (useFast ? encodedCalls : decodedCalls).at(-1) as Uint8Array;
      const expected = toBinary(
        ContextualCommandSchema,
        create(ContextualCommandSchema, {
          events: before,
          command: fromBinary(ContextualCommandSchema, sent).command,
        }),
      );
      expect(sent).toEqual(expected);
      expect(fromBinary(ContextualCommandSchema, sent).events?.snapshot !== undefined).toBe(
        i % 3 !== 2 && i > 0,
      );
    }
    expect(encodedCalls).toHaveLength(5);
    expect(decodedCalls).toHaveLength(4);
    const stored = await storage.events.get(ref);
    expect(stored.map((p) => AnyPayload.unpack(p.event, StringValueSchema).value)).toEqual(
      Array.from({ length: 9 }, (_, i) => `v${i}`),
    );
  });

  test("a stale sequence fails the same way on both paths, current book included", async () => {
    await fast.execute(command("a", 0));
    await fast.execute(command("b", 1));
    const failure = async (p: AggregatePipeline) => {
      try {
        await p.execute(command("late", 1));
      } catch (err) {
        const e = ConnectError.from(err);
        return { code: e.code, message: e.rawMessage, details: e.findDetails(EventBookSchema) };
      }
      throw new Error("expected a failure");
    };
    const a = await failure(fast);
    const b = await failure(general);
    expect(a).toEqual(b);
    // What the handler would be given: the latest snapshot and the pages after it.
    const told = a.details[0];
    expect(told && EventBooks.nextSequence(told)).toBe(2);
    expect((told?.snapshot ? told.snapshot.sequence + 1 : 0) + (told?.pages.length ?? 0)).toBe(2);
  });

  test("saga commands are stamped with the next sequence; editions read their composite history", async () => {
    await fast.execute(command("m0", 0));
    await fast.execute(command("m1", 1));
    const sagaResponse = await fast.execute(command("s", 0, { saga: true }));
    expect(sagaResponse.events?.pages[0]?.sequence).toEqual({ case: "num", value: 2 });
    await storage.snapshots.delete({ domain: "echo", edition: "", root });
    await storage.editions.create({ name: "what-if", description: "", createdAt: new Date() });
    const edResponse = await fast.execute(command("e", 3, { edition: "what-if" }));
    expect(edResponse.events?.pages[0]?.sequence).toEqual({ case: "num", value: 3 });
    const sent = encodedCalls.at(-1) as Uint8Array;
    const events = fromBinary(ContextualCommandSchema, sent).events;
    expect(events?.pages.map((p) => AnyPayload.unpack(p.event, StringValueSchema).value)).toEqual([
      "m0",
      "m1",
      "s",
    ]);
    const page = events?.pages[0];
    expect(page && toBinary(EventPageSchema, page).length).toBeGreaterThan(0);
  });

  test("a domain with an upcaster takes the fast path while no page follows the snapshot", async () => {
    const upcastCalls: number[] = [];
    const upcasters = new UpcasterRegistry([
      [
        "echo",
        async (_domain, pages) => {
          upcastCalls.push(pages.length);
          return pages.map((p) =>
            create(EventPageSchema, {
              ...p,
              event: AnyPayload.pack(
                StringValueSchema,
                create(StringValueSchema, {
                  value: `${AnyPayload.unpack(p.event, StringValueSchema).value}+`,
                }),
              ),
            }),
          );
        },
      ],
    ]);
    const pipeline = new AggregatePipeline({
      events: storage.events,
      snapshots: storage.snapshots,
      editions: storage.editions,
      bus,
      upcasters,
      handlers: {
        aggregate: () => ({
          handle: (request, options) => {
            decodedCalls.push(toBinary(ContextualCommandSchema, request));
            return aggregateClient(
              new MemoryClient(buildRouter(aggregateComponent(echoAggregate("echo")))),
            ).handle(request, options);
          },
          handleEncoded: async (request, options) => {
            encodedCalls.push((await gatherBody(request)).slice());
            return aggregateClient(
              new MemoryClient(buildRouter(aggregateComponent(echoAggregate("echo")))),
            ).handleEncoded(request, options);
          },
          descriptor: () => Promise.reject(new Error("unused")),
        }),
        aggregateDomains: () => ["echo"],
      },
    });
    // Empty history, then a snapshot with nothing after it: bytes, no upcaster call.
    await pipeline.execute(command("a", 0));
    await pipeline.execute(command("b", 1));
    expect(encodedCalls).toHaveLength(2);
    expect(decodedCalls).toHaveLength(0);
    expect(upcastCalls).toEqual([]);
    // Pages after the (dropped) snapshot: read decoded and upcast, as before.
    await storage.snapshots.delete({ domain: "echo", edition: "", root });
    await pipeline.execute(command("c", 2));
    expect(upcastCalls).toEqual([2]);
    expect(decodedCalls).toHaveLength(1);
    const sent = fromBinary(ContextualCommandSchema, decodedCalls[0] as Uint8Array);
    expect(sent.events?.pages.map((p) => AnyPayload.unpack(p.event, StringValueSchema).value)).toEqual([
      "a+",
      "b+",
    ]);
  });
});
