// What a quiet consumer's catch-up read costs on SQLite when the rest of the log is busy:
// one event in domain `quiet`, then N events in domain `busy`; the consumer's read of `quiet`
// after its checkpoint (its own last event) is timed, as each poll makes it.
//
//   bun bench/timeline-read.ts [busy events, default 20000] [reads, default 200]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventPages } from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { openSqliteStorage } from "../runtime/storage/sqlite";

const busy = Number(process.argv[2] ?? 20_000);
const reads = Number(process.argv[3] ?? 200);
const dir = mkdtempSync(join(tmpdir(), "az-timeline-"));
const storage = await openSqliteStorage(join(dir, "store.db"));
try {
  const event = () =>
    EventPages.forced(create(AnySchema, { typeUrl: "type.bench/t.E", value: new Uint8Array([1]) }));
  const root = (n: number) => {
    const r = new Uint8Array(16);
    new DataView(r.buffer).setUint32(12, n);
    return r;
  };
  await storage.events.append({ domain: "quiet", edition: "", root: root(0) }, [event()], {
    correlationId: "c",
  });
  for (let i = 0; i < busy; i++) {
    await storage.events.append({ domain: "busy", edition: "", root: root(i) }, [event()], {
      correlationId: "c",
    });
  }
  const filter = { domain: "quiet", edition: "" };
  const checkpoint = (await storage.events.readAll(0n, 1, filter))[0]?.position ?? 0n;
  const started = performance.now();
  for (let i = 0; i < reads; i++) await storage.events.readAll(checkpoint, 500, filter);
  const ms = (performance.now() - started) / reads;
  console.log(
    `quiet timeline read after its checkpoint, ${busy} busy events after it: ${ms.toFixed(3)} ms per read`,
  );
} finally {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
}
