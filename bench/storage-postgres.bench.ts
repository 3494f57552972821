// PostgreSQL storage backend: append throughput at three batch sizes and a full-aggregate read.
// Runs in a fresh schema (dropped afterwards) on ANGZARR_PG_URL or the local default.
import { type EventPage, EventPages, Uuid } from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { SQL } from "bun";
import { PostgresStorage } from "../runtime/storage/postgres/index";
import type { AggregateRef } from "../runtime/storage/types";
import { type BenchReporter, medianMs } from "./harness";

const URL = process.env.ANGZARR_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
/** Appending one event per transaction is bounded by commit latency; this many keeps the run short. */
const EVENTS = 100_000;

function page(i: number): EventPage {
  const value = new TextEncoder().encode(`{"item":"sku-${i}","quantity":${i % 7}}`);
  return EventPages.forced(create(AnySchema, { typeUrl: "type.googleapis.com/examples.ItemAdded", value }));
}

async function appendAll(storage: PostgresStorage, total: number, batch: number): Promise<number> {
  // Spread the load over 100 aggregates, as a busy service would.
  const refs: AggregateRef[] = Array.from({ length: 100 }, () => ({
    domain: `bench_b${batch}`,
    edition: "",
    root: Uuid.randomBytes(),
  }));
  const started = performance.now();
  for (let i = 0, n = 0; i < total; i += batch, n++) {
    const pages = Array.from({ length: Math.min(batch, total - i) }, (_, k) => page(i + k));
    await storage.events.append(refs[n % refs.length] as AggregateRef, pages, { correlationId: `c${n}` });
  }
  return performance.now() - started;
}

export default async function (r: BenchReporter): Promise<void> {
  const schema = `angzarr_bench_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const storage = await PostgresStorage.open({ url: URL, schema, maxConnections: 10 });
  try {
    for (const batch of [1, 10, 100]) {
      const total = EVENTS;
      r.progress(`appending ${total.toLocaleString("en-US")} events in batches of ${batch}`);
      const ms = await appendAll(storage, total, batch);
      r.record({
        name: `postgres append 100k events, batches of ${batch}`,
        value: (total / ms) * 1000,
        unit: "events/s",
        budget: null,
        better: "higher",
      });
    }

    r.progress(`filling one aggregate with ${EVENTS.toLocaleString("en-US")} events`);
    const one: AggregateRef = { domain: "bench_read", edition: "", root: Uuid.randomBytes() };
    for (let i = 0; i < EVENTS; i += 1000) {
      await storage.events.append(
        one,
        Array.from({ length: 1000 }, (_, k) => page(i + k)),
        { correlationId: "read" },
      );
    }
    r.progress("reading it back (median of 3)");
    let count = 0;
    const ms = await medianMs(3, async () => {
      count = (await storage.events.get(one)).length;
    });
    if (count !== EVENTS) throw new Error(`read ${count} events, expected ${EVENTS}`);
    r.record({
      name: "postgres read 100k events of one aggregate",
      value: ms,
      unit: "ms",
      budget: null,
      better: "lower",
    });
    r.record({
      name: "postgres read rate, one aggregate",
      value: (EVENTS / ms) * 1000,
      unit: "events/s",
      budget: null,
      better: "higher",
    });
  } finally {
    await storage.close();
    const admin = new SQL({ url: URL, max: 1 });
    await admin.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.close();
  }
}
