// The handler side of a rebuild, in process: the encoded ContextualCommand of a 100k-page
// counter history (numbered pages with created_at, as the store returns them) → state → answer.
// Two contenders on the same bytes: the SDK's fast path (Aggregate.handleBinary: a hand-written
// walk of the book, payloads decoded by a compiled scalar decoder) and the general path
// (protobuf-es fromBinary of the whole request, then Aggregate.handle). Median of 9 after warm-up.
import {
  BusinessResponseSchema,
  ContextualCommandSchema,
  Covers,
  EventBookSchema,
  EventPageSchema,
} from "@angzarr/proto";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { DoubleValueSchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { amounts, counterCommand, rootOf, tickEvent } from "./fixtures/counter";
import { counterAggregate } from "./fixtures/counter-agg";
import { type BenchReporter, medianMs } from "./harness";

const EVENTS = 100_000;

export function counterRequest(events: number): { bytes: Uint8Array; total: number } {
  const root = rootOf(1);
  const values = amounts(events, 42);
  const pages = values.map((amount, i) =>
    create(EventPageSchema, {
      sequence: { case: "num", value: i },
      createdAt: create(TimestampSchema, { seconds: BigInt(1_760_000_000 + i), nanos: (i * 7919) % 1e9 }),
      event: tickEvent(amount),
    }),
  );
  const request = create(ContextualCommandSchema, {
    events: create(EventBookSchema, { cover: Covers.make({ domain: "counter", root }), pages }),
    command: counterCommand("counter", root, 5, events),
  });
  return { bytes: toBinary(ContextualCommandSchema, request), total: values.reduce((a, b) => a + b, 0) };
}

export default async function (r: BenchReporter): Promise<void> {
  const aggregate = counterAggregate();
  const { bytes, total } = counterRequest(EVENTS);
  const check = (answer: Uint8Array) => {
    const response = fromBinary(BusinessResponseSchema, answer);
    const book = response.result.case === "events" ? response.result.value : undefined;
    const state = book?.snapshotState ? fromBinary(DoubleValueSchema, book.snapshotState.value).value : -1;
    if (state !== total + 5) throw new Error(`state ${state}, expected ${total + 5}`);
  };
  const contenders: [string, () => Uint8Array, number | null][] = [
    [
      "handler decode + fold, 100k-page book (fast path)",
      () => toBinary(BusinessResponseSchema, aggregate.handleBinary(bytes)),
      30,
    ],
    [
      "handler decode + fold, 100k-page book (protobuf-es path)",
      () => toBinary(BusinessResponseSchema, aggregate.handle(fromBinary(ContextualCommandSchema, bytes))),
      null,
    ],
  ];
  for (const [name, run, budget] of contenders) {
    r.progress(`${name}: ${(bytes.length / 1e6).toFixed(1)} MB request, warm-up then median of 9`);
    for (let i = 0; i < 3; i++) check(run());
    const ms = await medianMs(9, () => {
      run();
    });
    r.record({ name, value: ms, unit: "ms", budget, better: "lower" });
  }
}
