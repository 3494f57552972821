// A long main-timeline history sent in windows (HistoryWindows, lowered here through the
// pipeline's constructor): the real echo program under the supervisor, over its Unix socket,
// folds the chunked request as it arrives and answers as it does to the whole request; a program
// killed while the request is being sent, or a window read short, fails the command cleanly and
// nothing is appended.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { AnyPayload, type EventPage, EventPageSchema } from "@angzarr/proto";
import { isStreamed, type RequestBody } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";
import { Int64ValueSchema, StringValueSchema } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { MemoryBus } from "../bus/memory/memory-bus";
import { failure } from "../services/testing/clients";
import { openSqliteStorage } from "../storage/sqlite";
import type { AggregateRef, EventStore, HistoryWindows, Storage } from "../storage/types";
import { Supervisor } from "../supervisor/supervisor";
import {
  echoCommand,
  fixtureAggregate,
  newRoot,
  removeDir,
  tempDir,
  testHandlerSettings,
} from "../testing/processes";
import { AggregatePipeline } from "./aggregate-pipeline";
import type { AggregateHandler } from "./ports";

const EVENTS = 2_000;
const WINDOWS: HistoryWindows = { above: 100, window: 300 };
const WHOLE: HistoryWindows = { above: Number.POSITIVE_INFINITY, window: 1 };

async function seed(storage: Storage, ref: AggregateRef): Promise<void> {
  for (let from = 0; from < EVENTS; from += 500) {
    const pages: EventPage[] = Array.from({ length: 500 }, (_, i) =>
      create(EventPageSchema, {
        sequence: { case: "num", value: from + i },
        event: AnyPayload.pack(StringValueSchema, create(StringValueSchema, { value: `e${from + i}` })),
      }),
    );
    await storage.events.append(ref, pages, { correlationId: "seed" });
  }
}

describe("a long history sent in windows to a real program", () => {
  let dir: string;
  let storage: Storage;
  let supervisor: Supervisor;
  let bus: MemoryBus;
  /** Whether each handler call's body was streamed. */
  let bodies: boolean[];

  beforeEach(async () => {
    dir = tempDir();
    storage = await openSqliteStorage(join(dir, "events.db"));
    bus = new MemoryBus();
    supervisor = new Supervisor({
      components: [fixtureAggregate("echo", "echo-agg")],
      socketsDir: join(dir, "sockets"),
      handlers: testHandlerSettings(),
      output: "ignore",
    });
    await supervisor.start();
    bodies = [];
  });

  afterEach(async () => {
    await supervisor.stop();
    await bus.close();
    await storage.close();
    removeDir(dir);
  });

  const pipeline = (historyWindows: HistoryWindows, events: EventStore = storage.events) => {
    const handler = supervisor.aggregate("echo") as AggregateHandler;
    const recording: AggregateHandler = {
      handle: (request, options) => handler.handle(request, options),
      handleEncoded: (request: RequestBody, options) => {
        bodies.push(isStreamed(request));
        return handler.handleEncoded?.(request, options) as ReturnType<AggregateHandler["handle"]>;
      },
      descriptor: (options) => handler.descriptor(options),
    };
    return new AggregatePipeline({
      events,
      snapshots: storage.snapshots,
      editions: storage.editions,
      handlers: { aggregate: () => recording, aggregateDomains: () => ["echo"] },
      bus,
      historyWindows,
    });
  };

  const count = async (ref: AggregateRef) => {
    const snapshot = await storage.snapshots.get(ref);
    return snapshot ? AnyPayload.unpack(snapshot.state, Int64ValueSchema).value : undefined;
  };

  test("the program answers the windowed request as the whole one", async () => {
    const whole: AggregateRef = { domain: "echo", edition: "", root: newRoot() };
    const split: AggregateRef = { domain: "echo", edition: "", root: newRoot() };
    await seed(storage, whole);
    await seed(storage, split);
    const a = await pipeline(WHOLE).execute(echoCommand("echo", whole.root, "x", EVENTS));
    const b = await pipeline(WINDOWS).execute(echoCommand("echo", split.root, "x", EVENTS));
    expect(bodies).toEqual([false, true]);
    expect(b.events?.pages.map((p) => [p.sequence, p.event])).toEqual(
      a.events?.pages.map((p) => [p.sequence, p.event]) ?? [],
    );
    // The state the program folded: every prior event counted, plus the new one.
    expect(await count(whole)).toBe(BigInt(EVENTS + 1));
    expect(await count(split)).toBe(BigInt(EVENTS + 1));
  });

  test("with a snapshot: the pages after it in windows, folded onto the snapshot's state", async () => {
    const whole: AggregateRef = { domain: "echo", edition: "", root: newRoot() };
    const split: AggregateRef = { domain: "echo", edition: "", root: newRoot() };
    // 150 pages after the snapshot (above 100: windowed in 40s), whose state counts 1,850.
    const sequence = EVENTS - 151;
    const state = AnyPayload.pack(
      Int64ValueSchema,
      create(Int64ValueSchema, { value: BigInt(sequence + 1) }),
    );
    for (const ref of [whole, split]) {
      await seed(storage, ref);
      await storage.snapshots.put(ref, { sequence, state });
    }
    await pipeline(WHOLE).execute(echoCommand("echo", whole.root, "y", EVENTS));
    await pipeline({ above: 100, window: 40 }).execute(echoCommand("echo", split.root, "y", EVENTS));
    expect(bodies).toEqual([false, true]);
    expect(await count(whole)).toBe(BigInt(EVENTS + 1));
    expect(await count(split)).toBe(BigInt(EVENTS + 1));
  });

  test("a program killed while the request is being sent: UNAVAILABLE, nothing appended", async () => {
    const ref: AggregateRef = { domain: "echo", edition: "", root: newRoot() };
    await seed(storage, ref);
    const pid = supervisor.programs()[0]?.pid;
    expect(pid).toBeDefined();
    let reads = 0;
    const events: EventStore = Object.create(storage.events);
    events.getEncodedRange = async (target, from, to) => {
      if (++reads === 2) {
        process.kill(pid as number, "SIGKILL");
        await Bun.sleep(100);
      }
      return storage.events.getEncodedRange?.(target, from, to) as ReturnType<
        NonNullable<EventStore["getEncodedRange"]>
      >;
    };
    const err = await failure(() =>
      pipeline(WINDOWS, events).execute(echoCommand("echo", ref.root, "x", EVENTS)),
    );
    expect(err.code).toBe(Code.Unavailable);
    expect(bodies).toEqual([true]);
    expect(await storage.events.nextSequence(ref)).toBe(EVENTS);
  });

  test("a window read short fails the command ABORTED before the program sees a whole request", async () => {
    const ref: AggregateRef = { domain: "echo", edition: "", root: newRoot() };
    await seed(storage, ref);
    const events: EventStore = Object.create(storage.events);
    events.getEncodedRange = (target, from, to) =>
      storage.events.getEncodedRange?.(target, from, to === EVENTS - 1 ? to - 1 : to) as ReturnType<
        NonNullable<EventStore["getEncodedRange"]>
      >;
    const err = await failure(() =>
      pipeline(WINDOWS, events).execute(echoCommand("echo", ref.root, "x", EVENTS)),
    );
    expect(err.code).toBe(Code.Aborted);
    expect(await storage.events.nextSequence(ref)).toBe(EVENTS);
    expect(await storage.snapshots.get(ref)).toBeUndefined();
    // The connection it was cut off on is gone; the next command goes through.
    const ok = await pipeline(WINDOWS).execute(echoCommand("echo", ref.root, "x", EVENTS));
    expect(ok.events?.pages.length).toBe(1);
    expect(await count(ref)).toBe(BigInt(EVENTS + 1));
  });
});
