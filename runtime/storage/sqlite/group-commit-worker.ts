// A child process for group-commit.int.test.ts: opens the SQLite store at argv[2] and runs
// argv[3] writers side by side (payloads tagged argv[4]), each appending forced events to its own aggregate without end,
// so their appends share group commits. After each append resolves it prints
// `ack <writer> <sequence> <payload>`; now and then `groups <shared>`. The test kills it with -9.
import { EventPages } from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { SqliteDb } from "./db";
import { SqliteEventStore } from "./events";

export function writerRoot(writer: number): Uint8Array {
  const root = new Uint8Array(16);
  new DataView(root.buffer).setUint32(12, writer + 1);
  return root;
}

if (import.meta.main) {
  const path = process.argv[2] as string;
  const writers = Number(process.argv[3]);
  const tag = process.argv[4] ?? "";
  const db = new SqliteDb(path);
  const events = new SqliteEventStore(db);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const writer = async (w: number) => {
    const ref = { domain: "kill", edition: "", root: writerRoot(w) };
    for (let n = 0; ; n++) {
      const payload = `${tag}w${w}-${n}`;
      const event = create(AnySchema, { typeUrl: "type.test/t.E", value: new TextEncoder().encode(payload) });
      const [page] = await events.append(ref, [EventPages.forced(event)], { correlationId: payload });
      out(`ack ${w} ${page?.sequence.value} ${payload}`);
      if (w === 0 && n % 10 === 0) out(`groups ${db.groups.shared}`);
    }
  };
  await Promise.all(Array.from({ length: writers }, (_, w) => writer(w)));
}
