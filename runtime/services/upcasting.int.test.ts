// Upcasting on every read path (runtime.md §9), with synthetic components and a synthetic upcaster
// served through the wire `angzarr.Upcaster` service: version 1 events are stored as Int32Value,
// the current version is StringValue "v2:<n>". Handlers and clients only ever see the current
// version — aggregate loads (the byte fast path included), queries, streams, saga and PM fetches,
// projector catch-up and speculation — while storage keeps what was written. A failing upcaster is
// INTERNAL `Upcaster failed: ...`.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AnyPayload,
  CommandGateway,
  Covers,
  type EventBook,
  EventBookSchema,
  EventPages,
  EventQuery,
  EventStream,
  SpeculativeService,
  TypeUrl,
  Uuid,
} from "@angzarr/proto";
import { buildRouter, defineUpcaster, MemoryClient, upcast, upcasterComponent } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";
import { Int32ValueSchema, StringValueSchema } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { UpcasterRegistry } from "../coordinator/upcasting";
import { openSqliteStorage } from "../storage/sqlite";
import {
  LEDGER,
  ledgerSaga,
  SOURCE,
  tallyProjector,
  WATCH,
  watchPm,
} from "../testing/fixtures/reactive-components";
import { upcasterClient } from "../transport/upcaster-client";
import { Code, collect, failure, text } from "./testing/clients";
import { echoAggregate } from "./testing/echo-aggregate";
import {
  aggregateEntry,
  command,
  reactiveDirectoryOf,
  startTestRuntime,
  type TestRuntime,
} from "./testing/harness";

/** Version 1 → 2; a negative number cannot be upgraded (to prove failures are reported). */
const wireUpcaster = (domain: string) =>
  upcasterClient(
    new MemoryClient(
      buildRouter(
        upcasterComponent(
          defineUpcaster({
            domain,
            rules: [
              upcast(Int32ValueSchema, StringValueSchema, (v1) => {
                if (v1.value < 0) throw new Error(`no version 2 of ${v1.value}`);
                return create(StringValueSchema, { value: `v2:${v1.value}` });
              }),
            ],
          }),
        ),
      ),
    ),
  );

let rt: TestRuntime;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "upcast-"));
  const upcasters = new UpcasterRegistry(
    [SOURCE, LEDGER, WATCH].map(
      (domain) => [domain, wireUpcaster(domain)] as [string, ReturnType<typeof wireUpcaster>],
    ),
  );
  rt = await startTestRuntime(
    [
      aggregateEntry(echoAggregate(SOURCE)),
      aggregateEntry(echoAggregate(LEDGER)),
      aggregateEntry(echoAggregate("plain")),
    ],
    {
      storage: await openSqliteStorage(join(dir, "angzarr.db")),
      upcasters,
      reactive: reactiveDirectoryOf({
        sagas: [ledgerSaga],
        processManagers: [watchPm],
        projectors: [{ program: tallyProjector(join(dir, "tally.db")) }],
      }),
    },
  );
});

afterAll(async () => {
  await rt.stop();
  rmSync(dir, { recursive: true, force: true });
});

const v1 = (n: number) =>
  EventPages.forced(AnyPayload.pack(Int32ValueSchema, create(Int32ValueSchema, { value: n })));

/** Writes version-1 events straight into the store, as an older release did. */
async function legacy(domain: string, root: Uint8Array, values: number[], correlationId = "legacy") {
  return rt.storage.events.append({ domain, edition: "", root }, values.map(v1), { correlationId });
}

const texts = (book: EventBook | undefined) =>
  (book?.pages ?? []).map((p) =>
    AnyPayload.is(p.event, StringValueSchema)
      ? AnyPayload.unpack(p.event, StringValueSchema).value
      : TypeUrl.fullName(p.event?.typeUrl ?? ""),
  );

describe("upcasting on every read path", () => {
  test("aggregate load: the handler folds upcast events; storage keeps version 1", async () => {
    const gateway = createClient(CommandGateway, rt.connect());
    const root = Uuid.randomBytes();
    await legacy(SOURCE, root, [1, 2]);
    const counted = await gateway.execute(command(SOURCE, root, StringValueSchema, text("count"), 2));
    expect(texts(counted.events)).toEqual(["count:2"]);
    const stored = await rt.storage.events.get({ domain: SOURCE, edition: "", root });
    expect(stored.slice(0, 2).map((p) => TypeUrl.fullName(p.event?.typeUrl ?? ""))).toEqual([
      "google.protobuf.Int32Value",
      "google.protobuf.Int32Value",
    ]);
    // A domain without an upcaster keeps the byte fast path and sees what is stored.
    const plain = Uuid.randomBytes();
    await legacy("plain", plain, [1]);
    const raw = await gateway.execute(command("plain", plain, StringValueSchema, text("count"), 1));
    expect(texts(raw.events)).toEqual(["count:0"]);
  });

  test("queries: GetEventBook, GetEvents, Synchronize and correlation reads", async () => {
    const q = createClient(EventQuery, rt.grpc());
    const root = Uuid.randomBytes();
    await legacy(SOURCE, root, [7, 8], "legacy-q");
    const cover = Covers.make({ domain: SOURCE, root });
    expect(texts(await q.getEventBook({ cover }))).toEqual(["v2:7", "v2:8"]);
    expect((await collect(q.getEvents({ cover }))).map(texts)).toEqual([["v2:7", "v2:8"]]);
    const synced = await collect(
      q.synchronize(
        (async function* () {
          yield { cover, selection: { case: "range" as const, value: { lower: 1 } } };
        })(),
      ),
    );
    expect(synced.map(texts)).toEqual([["v2:8"]]);
    const byCorrelation = await collect(
      q.getEvents({ cover: { domain: SOURCE, correlationId: "legacy-q" } }),
    );
    expect(byCorrelation.map(texts)).toEqual([["v2:7", "v2:8"]]);
  });

  test("streams: a version-1 book published by an older writer reaches subscribers upcast", async () => {
    const stream = createClient(EventStream, rt.connect());
    const abort = new AbortController();
    const received: string[][] = [];
    const before = rt.bus.active;
    const reading = (async () => {
      for await (const book of stream.subscribe(
        { correlationId: "legacy-stream" },
        { signal: abort.signal },
      )) {
        received.push(texts(book));
        abort.abort();
      }
    })().catch(() => undefined);
    await rt.bus.waitFor(before + 1);
    const root = Uuid.randomBytes();
    const pages = await legacy(SOURCE, root, [42], "legacy-stream");
    await rt.bus.publish(
      create(EventBookSchema, {
        cover: Covers.make({ domain: SOURCE, root, correlationId: "legacy-stream" }),
        pages,
      }),
    );
    await reading;
    expect(received).toEqual([["v2:42"]]);
  });

  test("saga and PM fetches, and projector catch-up, see the current version", async () => {
    const root = Uuid.randomBytes();
    await legacy(LEDGER, root, [1, 2, 3]); // the saga counts the ledger's StringValue events
    await legacy(SOURCE, root, [5], "legacy-flow"); // a source event only an upcast makes readable
    await rt.reactive?.settle();
    const ledger = await rt.storage.events.get({ domain: LEDGER, edition: "", root });
    const written = ledger.slice(3).map((p) => AnyPayload.unpack(p.event, StringValueSchema).value);
    // The saga counted the three legacy ledger events (read upcast); the PM reacts to the same
    // source event side by side, and when its command lands first the saga counts it too.
    expect(written.filter((w) => w.startsWith("seen:"))).toEqual([
      expect.stringMatching(/^seen:v2:5 after [34]$/),
    ]);
    expect(written).toContain("pm:v2:5");
    const watch = await rt.storage.events.readAll(0n, 10_000, { domain: WATCH });
    expect(watch.map((e) => AnyPayload.unpack(e.page.event, StringValueSchema).value)).toContain(
      "tracked:v2:5 (#1)",
    );
    const tally = tallyProjector(join(dir, "tally.db")).statements("").db;
    expect(tally.query("SELECT count, last_value FROM tally WHERE root = ?").get(Uuid.toText(root))).toEqual({
      count: 1,
      last_value: "v2:5",
    });
  });

  test("speculation: supplied and fetched books are upcast", async () => {
    const spec = createClient(SpeculativeService, rt.connect());
    const root = Uuid.randomBytes();
    await legacy(LEDGER, root, [1, 2]);
    const source = create(EventBookSchema, {
      cover: Covers.make({ domain: SOURCE, root, correlationId: "legacy-spec" }),
      pages: [
        EventPages.numbered(0, v1(9).event ?? AnyPayload.pack(Int32ValueSchema, create(Int32ValueSchema))),
      ],
    });
    const response = await spec.speculateSaga({ sagaName: "saga-src-ledger", source });
    expect(
      response.commands.map((c) => AnyPayload.unpack(c.pages[0]?.command, StringValueSchema).value),
    ).toEqual(["seen:v2:9 after 2"]);
  });

  test("an upcaster failure is INTERNAL 'Upcaster failed: ...'; nothing is stored", async () => {
    const root = Uuid.randomBytes();
    await legacy(SOURCE, root, [-1]);
    const q = createClient(EventQuery, rt.connect());
    const read = await failure(() => q.getEventBook({ cover: Covers.make({ domain: SOURCE, root }) }));
    expect(read.code).toBe(Code.Internal);
    expect(read.rawMessage).toStartWith("Upcaster failed: ");
    expect(read.rawMessage).toContain("no version 2 of -1");
    const gateway = createClient(CommandGateway, rt.connect());
    const write = await failure(() =>
      gateway.execute(command(SOURCE, root, StringValueSchema, text("count"), 1)),
    );
    expect([write.code, write.rawMessage.startsWith("Upcaster failed: ")]).toEqual([Code.Internal, true]);
    expect(await rt.storage.events.get({ domain: SOURCE, edition: "", root })).toHaveLength(1);
    // A consumer retries the book, then parks it and moves on.
    let parked: string[] = [];
    for (let i = 0; i < 200 && parked.length < 3; i++) {
      parked = (await rt.storage.deadLetters.list())
        .filter((d) => d.reason.includes("Upcaster failed") && Buffer.compare(d.root, root) === 0)
        .map((d) => d.consumer)
        .sort();
      await Bun.sleep(50);
    }
    expect(parked).toEqual(["pmg-watch", "projector-tally", "saga-src-ledger"]);
  }, 20_000);
});
