// bun:sqlite event store: append throughput at batch sizes 1, 10 and 100, and the read of one
// 100k-event aggregate. Each workload uses a fresh database file in a temp directory (WAL,
// synchronous=NORMAL, as the runtime opens it). Appends rotate over 1,000 aggregates, one
// aggregate per batch, with forced pages (the store numbers them) of a 48-byte payload.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventPages } from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { openSqliteStorage } from "../runtime/storage/sqlite";
import type { Storage } from "../runtime/storage/types";
import { type BenchReporter, medianMs } from "./harness";

const TOTAL = 100_000;
const AGGREGATES = 1_000;
const event = create(AnySchema, {
  typeUrl: "type.googleapis.com/bench.Ticked",
  value: new Uint8Array(48).fill(7),
});

function rootOf(n: number): Uint8Array {
  const root = new Uint8Array(16);
  new DataView(root.buffer).setUint32(12, n);
  return root;
}

async function withStore<T>(fn: (storage: Storage) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "angzarr-bench-sqlite-"));
  const storage = await openSqliteStorage(join(dir, "events.db"));
  try {
    return await fn(storage);
  } finally {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function appendAll(storage: Storage, batch: number, aggregates: number): Promise<void> {
  const roots = Array.from({ length: aggregates }, (_, i) => rootOf(i));
  for (let i = 0; i < TOTAL / batch; i++) {
    const pages = Array.from({ length: batch }, () => EventPages.forced(event));
    await storage.events.append(
      { domain: "bench", edition: "", root: roots[i % aggregates] as Uint8Array },
      pages,
      {
        correlationId: `c-${i}`,
      },
    );
  }
}

export default async function (r: BenchReporter): Promise<void> {
  for (const batch of [1, 10, 100]) {
    r.progress(`appending ${TOTAL.toLocaleString("en-US")} events in batches of ${batch}`);
    const ms = await withStore(async (storage) => {
      const started = performance.now();
      await appendAll(storage, batch, AGGREGATES);
      return performance.now() - started;
    });
    r.record({
      name: `sqlite append, batches of ${batch} (${AGGREGATES} aggregates)`,
      value: TOTAL / (ms / 1000),
      unit: "events/s",
      budget: null,
      better: "higher",
    });
  }

  r.progress(`reading ${TOTAL.toLocaleString("en-US")} events of one aggregate (median of 5)`);
  await withStore(async (storage) => {
    await appendAll(storage, 1_000, 1);
    const ref = { domain: "bench", edition: "", root: rootOf(0) };
    const loaded = (await storage.events.get(ref)).length; // warm-up
    if (loaded !== TOTAL) throw new Error(`expected ${TOTAL} events, read ${loaded}`);
    const ms = await medianMs(5, async () => {
      await storage.events.get(ref);
    });
    r.record({
      name: "sqlite read one aggregate, 100k events",
      value: ms,
      unit: "ms",
      budget: null,
      better: "lower",
    });
    r.record({
      name: "sqlite read one aggregate, throughput",
      value: TOTAL / (ms / 1000),
      unit: "events/s",
      budget: null,
      better: "higher",
    });
  });
}
