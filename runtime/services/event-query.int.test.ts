// EventQuery over a real socket: target by root or correlation id, every selection kind, editions,
// error messages of wire-contract §3.8, GetAggregateRoots and Synchronize.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  AnyPayload,
  CommandGateway,
  type Cover,
  CoverSchema,
  Covers,
  EditionSchema,
  EventPages,
  EventQuery,
  type Query,
  QuerySchema,
  Timestamps,
  Uuid,
} from "@angzarr/proto";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { INCLUDE_INTERNAL_HEADER } from "./event-query";
import { Code, collect, failure, sequences, text } from "./testing/clients";
import { ECHO_DOMAIN, echoAggregate } from "./testing/echo-aggregate";
import { aggregateEntry, command, startTestRuntime, type TestRuntime } from "./testing/harness";

let rt: TestRuntime;
const root = Uuid.randomBytes();
const sibling = Uuid.randomBytes();
const ledgerRoot = Uuid.randomBytes();
const createdAt: bigint[] = [];

beforeAll(async () => {
  rt = await startTestRuntime([aggregateEntry(echoAggregate()), aggregateEntry(echoAggregate("ledger"))]);
  const gateway = createClient(CommandGateway, rt.connect());
  // root: five events 0..4 (correlation "q-1" for 0..2, "q-2" for 3..4), a few ms apart.
  for (let i = 0; i < 5; i++) {
    const response = await gateway.execute(
      command(ECHO_DOMAIN, root, StringValueSchema, text(`e${i}`), i, i < 3 ? "q-1" : "q-2"),
    );
    const at = response.events?.pages[0]?.createdAt;
    createdAt.push(at ? Timestamps.toNanos(at) : 0n);
    await Bun.sleep(5);
  }
  await gateway.execute(command(ECHO_DOMAIN, sibling, StringValueSchema, text("s0"), 0, "q-2"));
  await gateway.execute(command("ledger", ledgerRoot, StringValueSchema, text("l0"), 0, "q-3"));
  await gateway.execute(command(ECHO_DOMAIN, sibling, StringValueSchema, text("s1"), 1, "q-3"));
  // An edition of `root` holding one event of its own on top of the inherited history.
  await rt.storage.editions.create({ name: "what-if", description: "", createdAt: new Date() });
  const branch = command(ECHO_DOMAIN, root, StringValueSchema, text("branch"), 5, "q-edition");
  branch.cover = Covers.make({ domain: ECHO_DOMAIN, root, correlationId: "q-edition", edition: "what-if" });
  await gateway.execute(branch);
});

afterAll(async () => {
  await rt.stop();
});

const cover = (init: {
  root?: Uint8Array;
  correlationId?: string;
  domain?: string;
  edition?: string;
}): Cover =>
  create(CoverSchema, {
    domain: init.domain ?? (init.root ? ECHO_DOMAIN : ""),
    ...(init.root ? { root: Uuid.message(init.root) } : {}),
    correlationId: init.correlationId ?? "",
    ...(init.edition ? { edition: create(EditionSchema, { name: init.edition }) } : {}),
  });

const query = (c: Cover, selection?: MessageInitShape<typeof QuerySchema>["selection"]): Query =>
  create(QuerySchema, { cover: c, ...(selection ? { selection } : {}) });

describe("GetEventBook by root", () => {
  test("full history, cover echoed", async () => {
    const book = await createClient(EventQuery, rt.connect()).getEventBook(query(cover({ root })));
    expect(sequences(book)).toEqual([0, 1, 2, 3, 4]);
    expect(book.cover?.domain).toBe(ECHO_DOMAIN);
    expect(book.snapshot).toBeUndefined();
  });

  test("range is inclusive at both ends; upper optional", async () => {
    const q = createClient(EventQuery, rt.grpc());
    expect(
      sequences(
        await q.getEventBook(query(cover({ root }), { case: "range", value: { lower: 1, upper: 3 } })),
      ),
    ).toEqual([1, 2, 3]);
    expect(
      sequences(await q.getEventBook(query(cover({ root }), { case: "range", value: { lower: 3 } }))),
    ).toEqual([3, 4]);
    expect(
      sequences(
        await q.getEventBook(query(cover({ root }), { case: "range", value: { lower: 3, upper: 1 } })),
      ),
    ).toEqual([]);
  });

  test("explicit sequence set selects exactly those (empty set: nothing)", async () => {
    const q = createClient(EventQuery, rt.connect());
    expect(
      sequences(
        await q.getEventBook(query(cover({ root }), { case: "sequences", value: { values: [4, 0, 2, 9] } })),
      ),
    ).toEqual([0, 2, 4]);
    expect(
      sequences(await q.getEventBook(query(cover({ root }), { case: "sequences", value: { values: [] } }))),
    ).toEqual([]);
  });

  test("temporal: as_of_sequence (<= n) and as_of_time (created_at <= t)", async () => {
    const q = createClient(EventQuery, rt.connect());
    const bySeq = await q.getEventBook(
      query(cover({ root }), {
        case: "temporal",
        value: { pointInTime: { case: "asOfSequence", value: 2 } },
      }),
    );
    expect(sequences(bySeq)).toEqual([0, 1, 2]);
    const at = Timestamps.fromNanos(createdAt[1] ?? 0n);
    const byTime = await q.getEventBook(
      query(cover({ root }), { case: "temporal", value: { pointInTime: { case: "asOfTime", value: at } } }),
    );
    expect(sequences(byTime)).toEqual([0, 1]);
  });

  test("an aggregate without events is an empty book with the cover", async () => {
    const empty = Uuid.randomBytes();
    const book = await createClient(EventQuery, rt.connect()).getEventBook(query(cover({ root: empty })));
    expect(book.pages).toEqual([]);
    expect(book.cover?.root?.value).toEqual(empty);
  });

  test("the cover's edition is honoured (composite history, main untouched)", async () => {
    const q = createClient(EventQuery, rt.connect());
    expect(sequences(await q.getEventBook(query(cover({ root, edition: "what-if" }))))).toEqual([
      0, 1, 2, 3, 4, 5,
    ]);
    expect(sequences(await q.getEventBook(query(cover({ root, edition: "angzarr" }))))).toEqual([
      0, 1, 2, 3, 4,
    ]);
  });
});

describe("by correlation id", () => {
  test("GetEvents streams one book per aggregate carrying only that id's events", async () => {
    const q = createClient(EventQuery, rt.grpc());
    const books = await collect(q.getEvents(query(cover({ correlationId: "q-2" }))));
    const summary = books.map((b) => [Uuid.toText(b.cover?.root?.value ?? new Uint8Array()), sequences(b)]);
    const expected = [
      [Uuid.toText(root), [3, 4]],
      [Uuid.toText(sibling), [0]],
    ].sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(summary).toEqual(expected);
    for (const b of books) expect(b.cover?.correlationId).toBe("q-2");
  });

  test("selection applies per aggregate; cover.domain narrows", async () => {
    const q = createClient(EventQuery, rt.connect());
    const ranged = await collect(
      q.getEvents(query(cover({ correlationId: "q-2" }), { case: "range", value: { lower: 4 } })),
    );
    expect(ranged.map(sequences)).toEqual([[4]]);
    const all = await collect(q.getEvents(query(cover({ correlationId: "q-3" }))));
    expect(all.map((b) => b.cover?.domain).sort()).toEqual([ECHO_DOMAIN, "ledger"]);
    const narrowed = await collect(q.getEvents(query(cover({ correlationId: "q-3", domain: "ledger" }))));
    expect(narrowed.map((b) => b.cover?.domain)).toEqual(["ledger"]);
  });

  test("GetEventBook: one aggregate → its book; none → empty; several → INVALID_ARGUMENT", async () => {
    const q = createClient(EventQuery, rt.connect());
    const one = await q.getEventBook(query(cover({ correlationId: "q-1" })));
    expect(sequences(one)).toEqual([0, 1, 2]);
    expect(one.cover?.root?.value).toEqual(root);
    const none = await q.getEventBook(query(cover({ correlationId: "no-such-id" })));
    expect(none.pages).toEqual([]);
    expect(none.cover?.correlationId).toBe("no-such-id");
    const several = await failure(() => q.getEventBook(query(cover({ correlationId: "q-2" }))));
    expect([several.code, several.rawMessage]).toEqual([
      Code.InvalidArgument,
      "Correlation id q-2 matches 2 aggregates; set cover.domain or use GetEvents",
    ]);
  });

  test("edition: only that timeline's own events", async () => {
    const q = createClient(EventQuery, rt.connect());
    expect((await collect(q.getEvents(query(cover({ correlationId: "q-edition" }))))).length).toBe(0);
    const branch = await collect(
      q.getEvents(query(cover({ correlationId: "q-edition", edition: "what-if" }))),
    );
    expect(branch.map(sequences)).toEqual([[5]]);
  });
});

describe("errors (wire-contract §3.8)", () => {
  test("exact messages", async () => {
    const q = createClient(EventQuery, rt.connect());
    const cases: [Query, string][] = [
      [create(QuerySchema), "Query must have a cover with domain/root or correlation_id"],
      [query(create(CoverSchema, { domain: ECHO_DOMAIN })), "Query must have a root UUID or correlation_id"],
      [
        query(cover({ root }), { case: "temporal", value: {} }),
        "TemporalQuery must specify as_of_time or as_of_sequence",
      ],
      [
        query(create(CoverSchema, { domain: ECHO_DOMAIN, root: Uuid.message(new Uint8Array(3)) })),
        "Invalid UUID: expected 16 bytes, got 3",
      ],
    ];
    for (const [request, message] of cases) {
      for (const call of [() => q.getEventBook(request), () => collect(q.getEvents(request))]) {
        const err = await failure(call);
        expect([err.code, err.rawMessage]).toEqual([Code.InvalidArgument, message]);
      }
    }
  });
});

describe("domains", () => {
  test("a domain no component owns and the store never held is NOT_FOUND, on every RPC", async () => {
    const q = createClient(EventQuery, rt.grpc());
    const byRoot = query(cover({ root, domain: "nope" }));
    const byCorrelation = query(cover({ correlationId: "q-1", domain: "nope" }));
    for (const call of [
      () => q.getEventBook(byRoot),
      () => collect(q.getEvents(byRoot)),
      () => q.getEventBook(byCorrelation),
      () =>
        collect(
          q.synchronize(
            (async function* () {
              yield byRoot;
            })(),
          ),
        ),
    ]) {
      const err = await failure(call);
      expect([err.code, err.rawMessage]).toEqual([Code.NotFound, "No service registered for domain: nope"]);
    }
  });

  test("a known domain without events for the root is an empty book", async () => {
    const book = await createClient(EventQuery, rt.connect()).getEventBook(
      query(cover({ root: Uuid.randomBytes(), domain: "ledger" })),
    );
    expect(book.pages).toEqual([]);
    expect(book.cover?.domain).toBe("ledger");
  });
});

describe("GetAggregateRoots and Synchronize", () => {
  test("GetAggregateRoots streams every (domain, edition, root), internal domains only when asked", async () => {
    const failureRoot = Uuid.randomBytes();
    await rt.storage.events.append(
      { domain: "angzarr.saga-failures", edition: "", root: failureRoot },
      [EventPages.forced(AnyPayload.pack(StringValueSchema, text("failed")))],
      { correlationId: "q-failure" },
    );
    const list = async (headers?: Record<string, string>) =>
      (await collect(createClient(EventQuery, rt.grpc()).getAggregateRoots({}, headers ? { headers } : {})))
        .map((r) => `${r.domain}@${r.edition}/${Uuid.toText(r.root?.value ?? new Uint8Array())}`)
        .sort();
    const business = [
      `${ECHO_DOMAIN}@/${Uuid.toText(root)}`,
      `${ECHO_DOMAIN}@what-if/${Uuid.toText(root)}`,
      `${ECHO_DOMAIN}@/${Uuid.toText(sibling)}`,
      `ledger@/${Uuid.toText(ledgerRoot)}`,
    ];
    expect(await list()).toEqual(business.sort());
    expect(await list({ [INCLUDE_INTERNAL_HEADER]: "true" })).toEqual(
      [...business, `angzarr.saga-failures@/${Uuid.toText(failureRoot)}`].sort(),
    );
  });

  test("Synchronize answers each query with one book", async () => {
    const q = createClient(EventQuery, rt.connect());
    async function* queries() {
      yield query(cover({ root }), { case: "range", value: { lower: 0, upper: 1 } });
      yield query(cover({ root: sibling }));
      yield query(cover({ correlationId: "q-1" }));
    }
    const books = await collect(q.synchronize(queries()));
    expect(books.map(sequences)).toEqual([
      [0, 1],
      [0, 1],
      [0, 1, 2],
    ]);
  });
});
