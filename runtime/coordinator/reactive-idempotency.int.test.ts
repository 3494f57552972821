// Idempotency keys of the reactive path, each question of the exactly-once review answered by a
// test: PM keys when the same events arrive cut into different books, saga command keys when a
// retry would decide another list, and a crash between a compensation and its record.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import {
  AnyPayload,
  ComponentDescriptorSchema,
  type ContextualCommand,
  Covers,
  type EventBook,
  EventBookSchema,
  EventPageSchema,
  Identity,
  ProcessManagerHandleResponseSchema,
  ProcessManagerPrepareResponseSchema,
  SagaPrepareResponseSchema,
  SagaResponseSchema,
  Uuid,
} from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { MemoryBus } from "../bus/memory/memory-bus";
import { openStorage } from "../storage/open";
import type { AppendOptions, Storage } from "../storage/types";
import { FaultyProcess } from "../testing/faults";
import { removeDir, tempDir } from "../testing/processes";
import { command, echoDirectory, relaySaga, text, textOf } from "../testing/reactive-fixtures";
import { type CoordinatorProcess, startProcess, texts, until } from "../testing/reactive-world";
import { AggregatePipeline } from "./aggregate-pipeline";
import { ProcessManagerCoordinator } from "./pm-coordinator";
import type { ProcessManagerHandler, SagaHandler } from "./reactive-ports";

let dir: string;
let storage: Storage;
let bus: MemoryBus;
const running: CoordinatorProcess[] = [];

beforeEach(async () => {
  dir = tempDir("az-keys-");
  storage = await openStorage({ backend: "sqlite", path: join(dir, "store.db") });
  bus = new MemoryBus();
});

afterEach(async () => {
  for (const p of running.splice(0)) await p.stop();
  await bus.close();
  await storage.close();
  removeDir(dir);
});

/** The text of the command a handler was asked to handle. */
function commandText(args: unknown[]): string {
  const req = args[0] as ContextualCommand | undefined;
  const any = req?.command?.pages[0]?.command;
  return any?.typeUrl.endsWith("StringValue") ? AnyPayload.unpack(any, StringValueSchema).value : "";
}

/** A PM that is not idempotent by its state: every reaction records one event and sends one command. */
function countingPm(): ProcessManagerHandler {
  return {
    name: "pmg-count",
    stateDomain: "count",
    inputs: [{ domain: "src" }],
    prepare: async () => create(ProcessManagerPrepareResponseSchema, {}),
    handle: async (req) => {
      const n = req.processState?.pages.length ?? 0;
      const root = Identity.processManagerRoot(req.trigger?.cover?.correlationId ?? "");
      return create(ProcessManagerHandleResponseSchema, {
        processEvents: create(EventBookSchema, {
          cover: Covers.make({ domain: "count", root }),
          pages: [
            create(EventPageSchema, { sequence: { case: "num", value: n }, event: text(`reacted-${n}`) }),
          ],
        }),
        commands: [command("dst", root, `r-${n}`, 0)],
      });
    },
    descriptor: async () => create(ComponentDescriptorSchema, { name: "pmg-count" }),
  };
}

describe("process-manager keys", () => {
  test("the same events cut into different books (a cascade, the consumer) cause one reaction per page", async () => {
    const handlers = echoDirectory("src", "dst");
    const pipeline = new AggregatePipeline({
      events: storage.events,
      snapshots: storage.snapshots,
      editions: storage.editions,
      handlers,
      bus,
    });
    const deps = {
      pipeline,
      events: storage.events,
      causations: storage.causations,
      deadLetters: storage.deadLetters,
      outbox: storage.outbox,
      bus,
    };
    const pms = new ProcessManagerCoordinator(deps);
    const pm = countingPm();
    const root = Uuid.randomBytes();
    for (let i = 0; i < 3; i++) await pipeline.execute(command("src", root, `e${i}`, i, "flow-1"));
    const pages = await storage.events.get({ domain: "src", edition: "", root });
    const book = (...at: number[]): EventBook =>
      create(EventBookSchema, {
        cover: Covers.make({ domain: "src", root, correlationId: "flow-1" }),
        pages: at.map((i) => pages[i] as (typeof pages)[number]),
      });

    await pms.handleBook(pm, book(0, 1)); // a cascade hands over one command's delta
    await pms.handleBook(pm, book(0)); // the consumer cut the same events differently
    await pms.handleBook(pm, book(1));
    await pms.handleBook(pm, book(1, 2)); // page 2 is new
    await pms.handleBook(pm, book(2));
    await pms.handleBook(pm, book(0, 1, 2));

    const pmRoot = Identity.processManagerRoot("flow-1");
    expect(await texts(storage, "count", pmRoot)).toEqual(["reacted-0", "reacted-1"]);
    expect(await texts(storage, "dst", pmRoot)).toEqual(["r-0", "r-1"]);
  });
});

describe("saga command keys", () => {
  test("a retry that would decide another list cannot skip or repeat a command: the stored decision is delivered", async () => {
    const handlers = echoDirectory("src", "dst");
    let calls = 0;
    // First decision: "a" and "b". Any later decision: only "b" (the world moved on).
    const flip: SagaHandler = {
      name: "saga-flip",
      input: { domain: "src" },
      prepare: async () => create(SagaPrepareResponseSchema, {}),
      execute: async (req) => {
        calls++;
        const root = req.source?.cover?.root?.value ?? new Uint8Array(16);
        const values = calls === 1 ? ["a", "b"] : ["b"];
        return create(SagaResponseSchema, { commands: values.map((v) => command("dst", root, v, 0)) });
      },
      descriptor: async () => create(ComponentDescriptorSchema, { name: "saga-flip" }),
    };
    const faults = new FaultyProcess();
    faults.inject({
      at: "handler.dst.handle",
      when: (args) => commandText(args) === "b",
      fault: "unavailable",
    });
    const p = await startProcess({
      storage,
      handlers,
      directory: { sagas: () => [flip], processManagers: () => [], projectors: () => [] },
      bus,
      faults,
    });
    running.push(p);
    const root = Uuid.randomBytes();
    await p.pipeline.execute(command("src", root, "go", 0, "flip-1"));
    const got = await until(
      () => texts(storage, "dst", root),
      (t) => t.length >= 2,
    );
    await p.host.settle();
    expect(got).toEqual(["a", "b"]);
    expect(await texts(storage, "dst", root)).toEqual(["a", "b"]);
    expect(calls).toBe(1);
  });
});

describe("compensation", () => {
  test("a crash between a compensation and its record: after the restart the revoke is not sent again", async () => {
    const handlers = echoDirectory("src", "dst");
    handlers.get("src").revokeAnswer = "events";
    const directory = {
      sagas: () => [relaySaga("saga-relay", "src", "dst")],
      processManagers: () => [],
      projectors: () => [],
    };
    const faults = new FaultyProcess("first");
    faults.inject({
      at: "events.append",
      when: (args) =>
        (args[0] as { domain: string }).domain === "src" &&
        (args[1] as { event?: unknown }[]).some((p) => textOf(p as never) === "compensated"),
      fault: "crash-after",
    });
    const first = await startProcess({ storage, handlers, directory, bus, faults });
    running.push(first);
    const root = Uuid.randomBytes();
    await first.pipeline.execute(command("src", root, "reject-me", 0, "comp-1"));
    await until(
      async () => faults.dead,
      (d) => d,
    );
    await first.stop();
    expect(await texts(storage, "src", root)).toEqual(["reject-me", "compensated"]);

    const second = await startProcess({ storage, handlers, directory, bus });
    running.push(second);
    await second.host.settle();
    await Bun.sleep(50);
    await second.host.settle();
    const revokes = handlers
      .get("src")
      .calls.filter((c) => c.command?.pages[0]?.command?.typeUrl.endsWith("angzarr.RevokeEventCommand"));
    expect(revokes).toHaveLength(1);
    expect(await texts(storage, "src", root)).toEqual(["reject-me", "compensated"]);
    // The relay passes every source event on, the compensating one too: each once.
    expect(handlers.get("dst").texts()).toEqual(["reject-me", "compensated"]);
  });

  test("the revoke's causation is recorded with its events: a second delivery of the same compensation persists nothing", async () => {
    const handlers = echoDirectory("src", "dst");
    handlers.get("src").revokeAnswer = "events";
    const p = await startProcess({
      storage,
      handlers,
      directory: {
        sagas: () => [relaySaga("saga-relay", "src", "dst")],
        processManagers: () => [],
        projectors: () => [],
      },
      bus,
    });
    running.push(p);
    const root = Uuid.randomBytes();
    await p.pipeline.execute(command("src", root, "reject-it", 0, "comp-2"));
    await until(
      () => texts(storage, "src", root),
      (t) => t.length >= 2,
    );
    const key = { component: "saga-relay", domain: "src", edition: "", root, sequence: 0 };
    // Settled just after the compensating event is stored.
    const entries = await until(
      () => storage.outbox.byCause(key),
      (all) => all.length === 2 && all.every((e) => e.status !== "pending"),
    );
    expect(entries.map((e) => [e.name, e.status])).toEqual([
      ["command-0", "rejected"],
      ["command-0#compensation", "delivered"],
    ]);
    const options: AppendOptions = {
      correlationId: "comp-2",
      causation: { ...key, component: "saga-relay#command-0#compensation" },
    };
    await expect(
      storage.events.append(
        { domain: "src", edition: "", root },
        [create(EventPageSchema, { event: text("again") })],
        options,
      ),
    ).rejects.toThrow("Already recorded");
  });
});
