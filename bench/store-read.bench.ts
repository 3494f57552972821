// Store read of a 100k-event aggregate into the request handed to a handler: the coordinator's
// side of a rebuild, in process, on SQLite. Two contenders: the fast path the pipeline takes
// (getEncodedFrom → the stored pages as protobuf bytes, with the ContextualCommand's head and
// command around them as the pipeline hands them to the client: parts, not joined) and
// the general path (getFrom → EventPage objects → protobuf-es encodes the ContextualCommand).
// Median of 7 after a warm-up.
import { join } from "node:path";
import { ContextualCommandSchema, Covers, EventBookSchema } from "@angzarr/proto";
import { joinBody } from "@angzarr/sdk";
import { create, toBinary } from "@bufbuild/protobuf";
import { handlerRequestParts } from "../runtime/coordinator/handler-request";
import { openSqliteStorage } from "../runtime/storage/sqlite";
import type { AggregateRef } from "../runtime/storage/types";
import { benchDir, counterCommand, rootOf, seedCounter } from "./fixtures/counter";
import { type BenchReporter, medianMs } from "./harness";

const EVENTS = 100_000;

export default async function (r: BenchReporter): Promise<void> {
  const storage = await openSqliteStorage(join(benchDir(), "events.db"));
  try {
    const ref: AggregateRef = { domain: "counter", edition: "", root: rootOf(1) };
    r.progress(`seeding one aggregate of ${EVENTS.toLocaleString("en-US")} events`);
    await seedCounter(storage, ref, EVENTS);
    const cover = Covers.make({ domain: "counter", root: ref.root });
    const command = counterCommand("counter", ref.root, 1, EVENTS);
    const getEncoded = storage.events.getEncodedFrom?.bind(storage.events);
    if (!getEncoded) throw new Error("the sqlite store has no encoded read");

    const fast = async () => {
      const pages = await getEncoded(ref, 0);
      return handlerRequestParts({ cover, snapshot: undefined, pages }, command);
    };
    const general = async () => {
      const pages = await storage.events.getFrom(ref, 0);
      const events = create(EventBookSchema, { cover, pages });
      return toBinary(ContextualCommandSchema, create(ContextualCommandSchema, { events, command }));
    };
    const a = joinBody(await fast());
    const b = await general();
    if (Buffer.compare(a, b) !== 0) throw new Error("the two paths encode different requests");
    const contenders: [string, () => Promise<unknown>][] = [
      ["store read 100k → handler request (encoded pages)", fast],
      ["store read 100k → handler request (EventPage objects + protobuf-es)", general],
    ];
    for (const [name, run] of contenders) {
      r.progress(`${name}: median of 7`);
      await run();
      const ms = await medianMs(7, async () => {
        await run();
      });
      r.record({ name, value: ms, unit: "ms", budget: null, better: "lower" });
    }
  } finally {
    await storage.close();
  }
}
