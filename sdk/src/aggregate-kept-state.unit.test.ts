// The state an aggregate answered last is kept for the aggregate's next command: a snapshot with
// exactly the answered bytes takes it instead of decoding. Against a fresh aggregate per command
// (which always decodes), seeded runs answer byte for byte alike, through answers that were not
// stored (an older snapshot comes back), rejected commands whose handler changed the state before
// throwing, two aggregates interleaved and pages after the snapshot; and the kept state is used.
import { describe, expect, test } from "bun:test";
import {
  AnyPayload,
  BusinessResponseSchema,
  CommandBookSchema,
  CommandPageSchema,
  ContextualCommandSchema,
  type Cover,
  Covers,
  EventBookSchema,
  EventPages,
  SnapshotSchema,
  Timestamps,
} from "@angzarr/proto";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { type Any, StringValueSchema, UInt32ValueSchema } from "@bufbuild/protobuf/wkt";
import { defineAggregate, forState } from "./aggregate";
import { invalidArgument } from "./errors";
import { seeded } from "./testing";

function ledger() {
  const { on, handle } = forState(StringValueSchema);
  return defineAggregate({
    domain: "ledger",
    state: StringValueSchema,
    events: [
      on(UInt32ValueSchema, (s, e) => {
        s.value += `${e.value},`;
      }),
    ],
    commands: [
      handle(UInt32ValueSchema, (command, state) => {
        if (command.value % 7 === 0) {
          // A misbehaving handler: changes the state, then refuses.
          state.value += "spoiled,";
          throw invalidArgument("multiples of seven are refused");
        }
        return [create(UInt32ValueSchema, { value: command.value })];
      }),
    ],
  });
}

const NOW = Timestamps.fromMillis(1_796_622_709_000);

interface Stored {
  sequence: number;
  state: Any | undefined;
  /** Pages stored after the snapshot (a writer that answered no snapshot). */
  after: number[];
}

function request(cover: Cover, stored: Stored, value: number): Uint8Array {
  return toBinary(
    ContextualCommandSchema,
    create(ContextualCommandSchema, {
      events: create(EventBookSchema, {
        cover,
        ...(stored.state
          ? { snapshot: create(SnapshotSchema, { sequence: stored.sequence, state: stored.state }) }
          : {}),
        pages: stored.after.map((v, i) =>
          EventPages.numbered(
            stored.sequence + 1 + i,
            AnyPayload.pack(UInt32ValueSchema, create(UInt32ValueSchema, { value: v })),
          ),
        ),
      }),
      command: create(CommandBookSchema, {
        cover,
        pages: [
          create(CommandPageSchema, {
            command: AnyPayload.pack(UInt32ValueSchema, create(UInt32ValueSchema, { value })),
          }),
        ],
      }),
    }),
  );
}

function answer(aggregate: ReturnType<typeof ledger>, body: Uint8Array): Uint8Array | string {
  try {
    return toBinary(BusinessResponseSchema, aggregate.handleBinary(body, NOW));
  } catch (err) {
    return (err as Error).message;
  }
}

describe("kept aggregate state", () => {
  test("seeded runs answer as a fresh aggregate does, and the kept state is used", () => {
    const random = seeded(23);
    const kept = ledger();
    const covers = [1, 2].map((n) =>
      Covers.make({ domain: "ledger", root: Uint8Array.from({ length: 16 }, (_, i) => n * 16 + i) }),
    );
    const stores = covers.map((): Stored => ({ sequence: -1, state: undefined, after: [] }));
    for (let i = 0; i < 600; i++) {
      const which = random() < 0.5 ? 0 : 1;
      const cover = covers[which] as Cover;
      const stored = stores[which] as Stored;
      const value = 1 + Math.floor(random() * 40);
      const body = request(cover, stored, value);
      const ours = answer(kept, body);
      expect(ours).toEqual(answer(ledger(), body));
      if (typeof ours === "string") continue;
      const book = fromAnswer(ours);
      if (book === undefined) continue;
      const r = random();
      if (r < 0.15) continue; // not stored: the older snapshot comes back next time
      const last = stored.sequence + stored.after.length + book.pages;
      if (r < 0.25) {
        // Stored without its snapshot: the page follows the older snapshot.
        stored.after.push(value);
      } else {
        stored.sequence = last;
        stored.state = book.snapshotState;
        stored.after = [];
      }
    }
    expect(kept.snapshotCounts.kept).toBeGreaterThan(200);
    expect(kept.snapshotCounts.decoded).toBeGreaterThan(20);
  });
});

/** The number of pages and the snapshot state of an encoded answer. */
function fromAnswer(bytes: Uint8Array): { pages: number; snapshotState: Any | undefined } | undefined {
  const response = fromBinary(BusinessResponseSchema, bytes);
  if (response.result.case !== "events") return undefined;
  return { pages: response.result.value.pages.length, snapshotState: response.result.value.snapshotState };
}
