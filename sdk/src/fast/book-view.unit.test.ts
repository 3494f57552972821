// The aggregate's fast path (walk of the encoded request + fast payload decoding) against the
// general path (protobuf-es fromBinary of the whole request, then Aggregate.handle), on seeded
// books: numbered, forced and unset pages, created_at or not, pages without events, handled,
// unhandled and foreign-prefixed types, empty payloads, snapshots of the right and wrong type,
// snapshot_state, unknown fields at every level; and seeded corruptions of the bytes. The two
// must give the same answer, or fail with the same error.
import { describe, expect, test } from "bun:test";
import {
  type BusinessResponse,
  CommandBookSchema,
  CommandPageSchema,
  type ContextualCommand,
  ContextualCommandSchema,
  Covers,
  EventBookSchema,
  type EventPage,
  EventPageSchema,
  RevokeEventCommandSchema,
  SnapshotSchema,
  Timestamps,
} from "@angzarr/proto";
import { create, type Message, toBinary } from "@bufbuild/protobuf";
import { WireType } from "@bufbuild/protobuf/wire";
import {
  type Any,
  AnySchema,
  BoolValueSchema,
  Int32ValueSchema,
  Int64ValueSchema,
  StringValueSchema,
  TimestampSchema,
  UInt32ValueSchema,
} from "@bufbuild/protobuf/wkt";
import { defineAggregate, forState } from "../aggregate";
import { decodeBody } from "../rpc/protocol";
import { seeded } from "../testing";
import { nextSequenceOf, readContextualCommand } from "./book-view";

// An order-sensitive fold: the state is the log of what was applied.
const { on, handle } = forState(StringValueSchema);
const aggregate = defineAggregate({
  domain: "log",
  state: StringValueSchema,
  events: [
    on(UInt32ValueSchema, (s, e) => {
      s.value += `u${e.value},`;
    }),
    on(BoolValueSchema, (s, e) => {
      s.value += `b${e.value ? 1 : 0},`;
    }),
  ],
  commands: [
    handle(Int32ValueSchema, (c, s) => [
      create(UInt32ValueSchema, { value: c.value >>> 0 }),
      create(BoolValueSchema, { value: s.value.length % 2 === 0 }),
    ]),
  ],
});

const now = Timestamps.fromMillis(1_760_000_000_123);
const unknown = (random: () => number) =>
  random() < 0.15
    ? [{ no: 90 + Math.floor(random() * 9), wireType: WireType.Varint, data: Uint8Array.of(0x96, 0x01) }]
    : undefined;

function pack(typeUrl: string, value: Uint8Array, random: () => number): Any {
  const any = create(AnySchema, { typeUrl, value });
  const extra = unknown(random);
  if (extra) any.$unknown = extra;
  return any;
}

function randomEvent(random: () => number): Any | undefined {
  const r = random();
  const n = Math.floor(random() * 100_000);
  if (r < 0.1) return undefined;
  if (r < 0.5)
    return pack(
      "type.googleapis.com/google.protobuf.UInt32Value",
      toBinary(UInt32ValueSchema, create(UInt32ValueSchema, { value: n })),
      random,
    );
  if (r < 0.65)
    return pack(
      "type.googleapis.com/google.protobuf.BoolValue",
      toBinary(BoolValueSchema, create(BoolValueSchema, { value: n % 2 === 0 })),
      random,
    );
  if (r < 0.75)
    return pack(
      "example.com/x/google.protobuf.UInt32Value",
      toBinary(UInt32ValueSchema, create(UInt32ValueSchema, { value: n })),
      random,
    );
  if (r < 0.85)
    return pack(
      "type.googleapis.com/google.protobuf.Int64Value",
      toBinary(Int64ValueSchema, create(Int64ValueSchema, { value: BigInt(n) })),
      random,
    );
  if (r < 0.9) return pack("type.googleapis.com/google.protobuf.UInt32Value", new Uint8Array(0), random);
  if (r < 0.95) return pack("", new Uint8Array(0), random);
  return pack("google.protobuf.BoolValue", Uint8Array.of(0x08, 0x01, 0x08, 0x00), random);
}

function randomPage(i: number, random: () => number): EventPage {
  const r = random();
  const sequence =
    r < 0.75
      ? ({ case: "num", value: i } as const)
      : r < 0.9
        ? ({ case: "force", value: random() < 0.5 } as const)
        : ({ case: undefined } as const);
  const event = randomEvent(random);
  const page = create(EventPageSchema, {
    sequence,
    ...(random() < 0.8
      ? {
          createdAt: create(TimestampSchema, {
            seconds: BigInt(Math.floor((random() - 0.1) * 2e9)),
            nanos: random() < 0.2 ? 0 : Math.floor(random() * 1e9),
          }),
        }
      : {}),
    ...(event ? { event } : {}),
  });
  const extra = unknown(random);
  if (extra) page.$unknown = extra;
  if (page.createdAt && random() < 0.1)
    page.createdAt.$unknown = [{ no: 7, wireType: WireType.Bit32, data: Uint8Array.of(1, 2, 3, 4) }];
  return page;
}

function randomRequest(random: () => number): ContextualCommand {
  const root = Uint8Array.from({ length: 16 }, () => Math.floor(random() * 256));
  const cover = Covers.make({ domain: "log", root, correlationId: random() < 0.5 ? "c-1" : "" });
  const offset = random() < 0.3 ? Math.floor(random() * 1000) : 0;
  const pages = Array.from({ length: Math.floor(random() * 40) }, (_, i) => randomPage(offset + i, random));
  const r = random();
  const snapshot =
    r < 0.25
      ? create(SnapshotSchema, {
          sequence: offset > 0 ? offset - 1 : 0,
          state: pack(
            "type.googleapis.com/google.protobuf.StringValue",
            toBinary(StringValueSchema, create(StringValueSchema, { value: "snap," })),
            random,
          ),
        })
      : r < 0.3
        ? create(SnapshotSchema, {
            sequence: 3,
            state: pack("type.googleapis.com/google.protobuf.Int64Value", Uint8Array.of(8, 1), random),
          })
        : r < 0.33
          ? create(SnapshotSchema, {
              sequence: 3,
              state: pack(
                "type.googleapis.com/google.protobuf.StringValue",
                Uint8Array.of(0x0a, 5, 1),
                random,
              ),
            })
          : undefined;
  const book = create(EventBookSchema, {
    cover,
    pages,
    ...(snapshot ? { snapshot } : {}),
    ...(random() < 0.1 ? { snapshotState: pack("type.googleapis.com/x.Y", Uint8Array.of(1), random) } : {}),
  });
  const extra = unknown(random);
  if (extra) book.$unknown = extra;
  const c = random();
  const command = create(CommandBookSchema, {
    cover,
    pages:
      c < 0.05
        ? []
        : [
            create(CommandPageSchema, {
              sequence: 0,
              command:
                c < 0.85
                  ? pack(
                      "type.googleapis.com/google.protobuf.Int32Value",
                      toBinary(
                        Int32ValueSchema,
                        create(Int32ValueSchema, { value: Math.floor(random() * 1e6) - 5e5 }),
                      ),
                      random,
                    )
                  : c < 0.9
                    ? pack("type.googleapis.com/google.protobuf.Duration", Uint8Array.of(8, 1), random)
                    : pack(
                        "type.googleapis.com/angzarr.RevokeEventCommand",
                        toBinary(
                          RevokeEventCommandSchema,
                          create(RevokeEventCommandSchema, { sagaName: "s", rejectionReason: "r" }),
                        ),
                        random,
                      ),
            }),
          ],
  });
  const request = create(ContextualCommandSchema, {
    ...(random() < 0.95 ? { events: book } : {}),
    ...(random() < 0.97 ? { command } : {}),
  });
  const top = unknown(random);
  if (top) request.$unknown = top;
  return request;
}

type Outcome = { ok: BusinessResponse } | { error: string };

function outcome(fn: () => BusinessResponse): Outcome {
  try {
    return { ok: fn() };
  } catch (err) {
    const e = err as { code?: number; message?: string; name?: string };
    return { error: `${e.name}:${e.code ?? ""}:${e.message}` };
  }
}

const fast = (bytes: Uint8Array) => outcome(() => aggregate.handleBinary(bytes, now));
const general = (bytes: Uint8Array) =>
  outcome(() => aggregate.handle(decodeBody(ContextualCommandSchema, bytes), now));

describe("Aggregate.handleBinary (fast path) against protobuf-es + handle", () => {
  test("1,500 seeded requests: same answers, and the walk takes nearly all of them", () => {
    const random = seeded(11);
    let walked = 0;
    for (let i = 0; i < 1_500; i++) {
      const request = randomRequest(random);
      const bytes = toBinary(ContextualCommandSchema, request);
      const view = readContextualCommand(bytes);
      if (view) {
        walked++;
        expect(view.count).toBe(request.events?.pages.length ?? 0);
      }
      expect(fast(bytes)).toEqual(general(bytes));
    }
    expect(walked).toBe(1_500);
  });

  test("the walk's next sequence is EventBooks.nextSequence of the decoded book", () => {
    const random = seeded(12);
    for (let i = 0; i < 500; i++) {
      const request = randomRequest(random);
      const view = readContextualCommand(toBinary(ContextualCommandSchema, request));
      const last = request.events?.pages.findLastIndex((p) => p.sequence.case === "num") ?? -1;
      const pages = request.events?.pages ?? [];
      const lastPage = pages[last];
      const expected =
        lastPage?.sequence.case === "num"
          ? lastPage.sequence.value + (pages.length - last)
          : (request.events?.snapshot ? request.events.snapshot.sequence + 1 : 0) + pages.length;
      expect(view && nextSequenceOf(view)).toBe(expected);
    }
  });

  test("a malformed event payload fails the same way on both paths", () => {
    const request = randomRequest(seeded(13));
    const bad = create(EventPageSchema, {
      sequence: { case: "num", value: 0 },
      event: create(AnySchema, {
        typeUrl: "type.googleapis.com/google.protobuf.UInt32Value",
        value: Uint8Array.of(0x08),
      }),
    });
    request.events = create(EventBookSchema, { pages: [bad] });
    request.command = create(CommandBookSchema, {
      pages: [
        create(CommandPageSchema, { command: create(AnySchema, { typeUrl: "google.protobuf.Int32Value" }) }),
      ],
    });
    const bytes = toBinary(ContextualCommandSchema, request);
    const answer = fast(bytes);
    expect("error" in answer).toBe(true);
    expect(answer).toEqual(general(bytes));
  });

  test("a non-ASCII type URL falls back to the general path", () => {
    const request = create(ContextualCommandSchema, {
      events: create(EventBookSchema, {
        pages: [
          create(EventPageSchema, {
            sequence: { case: "num", value: 0 },
            event: create(AnySchema, {
              typeUrl: "tÿpe/google.protobuf.UInt32Value",
              value: Uint8Array.of(8, 1),
            }),
          }),
        ],
      }),
      command: create(CommandBookSchema, {
        pages: [
          create(CommandPageSchema, {
            command: create(AnySchema, { typeUrl: "google.protobuf.Int32Value" }),
          }),
        ],
      }),
    });
    const bytes = toBinary(ContextualCommandSchema, request);
    expect(readContextualCommand(bytes)).toBeDefined();
    expect(fast(bytes)).toEqual(general(bytes));
  });

  test("seeded corruptions of the bytes: same answer or same error", () => {
    const random = seeded(14);
    let errors = 0;
    for (let i = 0; i < 3_000; i++) {
      const bytes = toBinary(ContextualCommandSchema, randomRequest(random)).slice();
      if (bytes.length === 0) continue;
      const cut = random() < 0.2 ? Math.floor(random() * bytes.length) : bytes.length;
      const mutated = bytes.subarray(0, cut);
      for (let k = 0; k < 1 + Math.floor(random() * 3); k++) {
        if (mutated.length > 0) mutated[Math.floor(random() * mutated.length)] = Math.floor(random() * 256);
      }
      const expected = general(mutated);
      if ("error" in expected) errors++;
      expect(fast(mutated)).toEqual(expected);
    }
    expect(errors).toBeGreaterThan(100);
  });

  test("a 10k-page book: one walk, same state as the general path", () => {
    const pages: EventPage[] = [];
    let expected = "";
    for (let i = 0; i < 10_000; i++) {
      const value = (i * 7919) % 100_000;
      expected += `u${value},`;
      pages.push(
        create(EventPageSchema, {
          sequence: { case: "num", value: i },
          createdAt: create(TimestampSchema, { seconds: BigInt(1_700_000_000 + i), nanos: i }),
          event: create(AnySchema, {
            typeUrl: "type.googleapis.com/google.protobuf.UInt32Value",
            value: toBinary(UInt32ValueSchema, create(UInt32ValueSchema, { value })),
          }),
        }),
      );
    }
    const bytes = toBinary(
      ContextualCommandSchema,
      create(ContextualCommandSchema, {
        events: create(EventBookSchema, { pages }),
        command: create(CommandBookSchema, {
          pages: [
            create(CommandPageSchema, {
              command: create(AnySchema, { typeUrl: "google.protobuf.Int32Value" }),
            }),
          ],
        }),
      }),
    );
    const answer = fast(bytes);
    expect(answer).toEqual(general(bytes));
    const book = "ok" in answer && answer.ok.result.case === "events" ? answer.ok.result.value : undefined;
    const state = book?.snapshotState?.value;
    const decoded = state ? (decodeBody(StringValueSchema, state) as Message & { value: string }).value : "";
    expect(decoded).toBe(`${expected}u0,b0,`);
    expect(book?.pages[0]?.sequence).toEqual({ case: "num", value: 10_000 });
  });
});

// A request in the streamed shape the coordinator sends for a long history: the command field
// first, then the prior book as several `events` fields (the first with cover, snapshot and the
// first pages, later ones with pages only), which protobuf-es merges into the same message.
function lengthField(no: number, bytes: Uint8Array): Uint8Array {
  const head: number[] = [(no << 3) | 2];
  let n = bytes.length;
  while (n >= 128) {
    head.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  head.push(n);
  const out = new Uint8Array(head.length + bytes.length);
  out.set(head);
  out.set(bytes, head.length);
  return out;
}

function joined(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function streamedShape(request: ContextualCommand, random: () => number): Uint8Array {
  const parts: Uint8Array[] = [];
  if (request.command) parts.push(lengthField(2, toBinary(CommandBookSchema, request.command)));
  const book = request.events;
  if (book) {
    const pages = book.pages;
    const cuts = [
      0,
      ...Array.from({ length: Math.floor(random() * 4) }, () => Math.floor(random() * (pages.length + 1))),
    ]
      .sort((a, b) => a - b)
      .concat(pages.length);
    const first = create(EventBookSchema, { ...book, pages: pages.slice(0, cuts[1]) });
    parts.push(lengthField(1, toBinary(EventBookSchema, first)));
    for (let k = 1; k + 1 < cuts.length; k++) {
      const later = create(EventBookSchema, { pages: pages.slice(cuts[k], cuts[k + 1]) });
      parts.push(lengthField(1, toBinary(EventBookSchema, later)));
    }
  }
  return joined(parts);
}

async function* chunksOf(bytes: Uint8Array, cuts: number[]): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    yield bytes.slice(at, cut);
    at = cut;
  }
}

/** Aggregate.handleStream's outcome, and whether it gave up on the incremental walk. */
async function streamedOutcome(
  bytes: Uint8Array,
  cuts: number[],
): Promise<{ answer: Outcome; fellBack: boolean }> {
  const original = aggregate.handleBinary;
  let fellBack = false;
  aggregate.handleBinary = (body, at) => {
    fellBack = true;
    return original.call(aggregate, body, at);
  };
  try {
    return { answer: { ok: await aggregate.handleStream(chunksOf(bytes, cuts), now) }, fellBack };
  } catch (err) {
    const e = err as { code?: number; message?: string; name?: string };
    return { answer: { error: `${e.name}:${e.code ?? ""}:${e.message}` }, fellBack };
  } finally {
    aggregate.handleBinary = original;
  }
}

const randomCuts = (length: number, random: () => number) =>
  Array.from({ length: Math.floor(random() * 6) }, () => Math.floor(random() * (length + 1))).sort(
    (a, b) => a - b,
  );

describe("Aggregate.handleStream (a chunked request folded as it arrives)", () => {
  test("600 seeded requests in the streamed shape, cut anywhere: the answers of the whole request", async () => {
    const random = seeded(21);
    let incremental = 0;
    for (let i = 0; i < 600; i++) {
      const request = randomRequest(random);
      // Unknown top-level fields are not part of the streamed shape.
      request.$unknown = undefined;
      const bytes = streamedShape(request, random);
      expect(decodeBody(ContextualCommandSchema, bytes)).toEqual(
        decodeBody(ContextualCommandSchema, toBinary(ContextualCommandSchema, request)),
      );
      const { answer, fellBack } = await streamedOutcome(bytes, randomCuts(bytes.length, random));
      expect(answer).toEqual(general(toBinary(ContextualCommandSchema, request)));
      if (!fellBack) incremental++;
    }
    // Only requests without a command (or whose fold fails) go the whole-body way.
    expect(incremental).toBeGreaterThan(450);
  });

  test("a small book cut at every byte boundary, and byte by byte: the walk's state and next sequence", async () => {
    const random = seeded(22);
    const pages = Array.from({ length: 9 }, (_, i) => randomPage(20 + i, random));
    const request = create(ContextualCommandSchema, {
      events: create(EventBookSchema, {
        cover: Covers.make({ domain: "log", root: new Uint8Array(16).fill(1) }),
        snapshot: create(SnapshotSchema, {
          sequence: 19,
          state: pack(
            "type.googleapis.com/google.protobuf.StringValue",
            toBinary(StringValueSchema, create(StringValueSchema, { value: "snap," })),
            random,
          ),
        }),
        pages,
      }),
      command: create(CommandBookSchema, {
        pages: [
          create(CommandPageSchema, {
            command: pack(
              "type.googleapis.com/google.protobuf.Int32Value",
              toBinary(Int32ValueSchema, create(Int32ValueSchema, { value: 5 })),
              random,
            ),
          }),
        ],
      }),
    });
    const bytes = streamedShape(request, seeded(3));
    const expected = fast(toBinary(ContextualCommandSchema, request));
    expect("ok" in expected).toBe(true);
    for (let cut = 0; cut <= bytes.length; cut++) {
      expect(await streamedOutcome(bytes, [cut])).toEqual({ answer: expected, fellBack: false });
    }
    const everyByte = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
    expect(await streamedOutcome(bytes, everyByte)).toEqual({ answer: expected, fellBack: false });
  });

  test("other shapes and malformed bodies take the whole-body path, with its answer or error", async () => {
    const random = seeded(23);
    const request = randomRequest(random);
    request.$unknown = undefined;
    const command = lengthField(2, toBinary(CommandBookSchema, request.command ?? create(CommandBookSchema)));
    const later = (book: Parameters<typeof create<typeof EventBookSchema>>[1]) =>
      lengthField(1, toBinary(EventBookSchema, create(EventBookSchema, book)));
    const page = randomPage(0, random);
    const odd = [
      // The events before the command.
      joined([later({ pages: [page] }), command]),
      // A later part with a cover (merged by protobuf-es, not by the walk).
      joined([
        command,
        later({ pages: [page] }),
        later({ cover: Covers.make({ domain: "x", root: new Uint8Array(16) }), pages: [page] }),
      ]),
      // The command twice.
      joined([command, command, later({ pages: [page] })]),
      // A top-level varint field.
      joined([command, Uint8Array.of(0x18, 0x01), later({ pages: [page] })]),
      // Cut inside a part.
      joined([command, later({ pages: [page, page] })]).subarray(0, command.length + 5),
    ];
    for (const bytes of odd) {
      const { answer, fellBack } = await streamedOutcome(bytes, randomCuts(bytes.length, random));
      expect(fellBack).toBe(true);
      expect(answer).toEqual(general(bytes));
    }
    for (let i = 0; i < 1_000; i++) {
      const request = randomRequest(random);
      request.$unknown = undefined;
      const bytes = streamedShape(request, random).slice();
      if (bytes.length === 0) continue;
      const mutated = bytes.subarray(0, random() < 0.3 ? Math.floor(random() * bytes.length) : bytes.length);
      if (mutated.length > 0) mutated[Math.floor(random() * mutated.length)] = Math.floor(random() * 256);
      const { answer } = await streamedOutcome(mutated, randomCuts(mutated.length, random));
      expect(answer).toEqual(general(mutated));
    }
  });
});
