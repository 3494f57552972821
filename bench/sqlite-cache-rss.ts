// Scratch measurement for issue 17's RSS budget: how much of a coordinator's resident memory is
// SQLite's page cache, filled by the write path alone, and what a smaller cache costs the writes?
//
//   bun bench/sqlite-cache-rss.ts [events] [cache KiB ...]     (default: 300000 32768 8192)
//
// For each page-cache size, a child process opens a fresh store (SqliteDb, the size set with
// PRAGMA cache_size after opening, as db.ts sets its own), then appends `events` events the way
// the 64-client command workloads do: 64 aggregates, one event and a snapshot per append, 64
// appends in flight (so they share group commits), each with a correlation id that looks random
// (as the pipeline's derived ids do, so their index is written all over). Printed: the process's
// VmRSS after opening and at the end (both after a full GC), and the difference; the CPU time per
// append. The JS heap holds almost nothing here, so the difference is the page cache and the
// allocator.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventPages } from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { SqliteDb } from "../runtime/storage/sqlite/db";
import { SqliteEventStore } from "../runtime/storage/sqlite/events";
import { seeded } from "./harness";

const AGGREGATES = 64;

function rssMb(): number {
  Bun.gc(true);
  return process.memoryUsage().rss / 1024 / 1024;
}

async function child(events: number, cacheKib: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "az-cache-rss-"));
  try {
    const db = new SqliteDb(join(dir, "events.db"));
    db.raw.run(`PRAGMA cache_size = -${cacheKib}`);
    const store = new SqliteEventStore(db);
    const event = create(AnySchema, {
      typeUrl: "type.googleapis.com/google.protobuf.UInt32Value",
      value: new Uint8Array([8, 1]),
    });
    const state = create(AnySchema, {
      typeUrl: "type.googleapis.com/google.protobuf.DoubleValue",
      value: new Uint8Array(9),
    });
    const roots = Array.from({ length: AGGREGATES }, (_, i) => {
      const root = new Uint8Array(16);
      new DataView(root.buffer).setUint32(12, i + 1);
      return root;
    });
    const random = seeded(17);
    const hex = () =>
      Math.floor(random() * 2 ** 32)
        .toString(16)
        .padStart(8, "0");
    const before = rssMb();
    const cpu = process.cpuUsage();
    for (let round = 0; round < events / AGGREGATES; round++) {
      await Promise.all(
        roots.map((root, i) =>
          store.append({ domain: "counter", edition: "", root }, [EventPages.forced(event)], {
            correlationId: `${hex()}-${hex()}-${hex()}-${hex()}-${i}`,
            snapshotState: state,
          }),
        ),
      );
    }
    const used = process.cpuUsage(cpu);
    const after = rssMb();
    db.close();
    const appended = Math.floor(events / AGGREGATES) * AGGREGATES;
    console.log(
      `cache ${cacheKib} KiB, ${appended} events: RSS ${before.toFixed(1)} → ${after.toFixed(1)} MB (+${(after - before).toFixed(1)} MB), CPU ${((used.user + used.system) / appended).toFixed(1)} µs per append`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--child") {
  await child(Number(process.argv[3]), Number(process.argv[4]));
} else {
  const events = Number(process.argv[2] ?? 300_000);
  const sizes = process.argv.length > 3 ? process.argv.slice(3).map(Number) : [32_768, 8_192];
  for (const size of sizes) {
    const proc = Bun.spawn([process.execPath, import.meta.path, "--child", String(events), String(size)], {
      stdout: "inherit",
      stderr: "inherit",
    });
    if ((await proc.exited) !== 0) throw new Error(`the measurement for ${size} KiB failed`);
  }
}
