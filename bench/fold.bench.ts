// The fold alone: 100k decoded counter events applied to the state by Aggregate.applyAll, the
// loop every rebuild ends in. Median of 15 folds after a warm-up; events/s.
import { create, type Message } from "@bufbuild/protobuf";
import { UInt32ValueSchema } from "@bufbuild/protobuf/wkt";
import { amounts } from "./fixtures/counter";
import { counterAggregate } from "./fixtures/counter-agg";
import { type BenchReporter, medianMs } from "./harness";

const EVENTS = 100_000;

export default async function (r: BenchReporter): Promise<void> {
  const aggregate = counterAggregate();
  const events: Message[] = amounts(EVENTS, 42).map((value) => create(UInt32ValueSchema, { value }));
  const expected = amounts(EVENTS, 42).reduce((a, b) => a + b, 0);
  r.progress(`folding ${EVENTS.toLocaleString("en-US")} decoded events (warm-up, then median of 15)`);
  for (let i = 0; i < 20; i++) aggregate.applyAll(aggregate.initialState(), events);
  const ms = await medianMs(15, () => {
    const state = aggregate.applyAll(aggregate.initialState(), events);
    if (state.value !== expected) throw new Error(`fold gave ${state.value}, expected ${expected}`);
  });
  r.record({
    name: "fold of decoded events",
    value: EVENTS / (ms / 1000),
    unit: "events/s",
    budget: 10_000_000,
    better: "higher",
  });
}
