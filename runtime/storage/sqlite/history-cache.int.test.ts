// The SQLite store's cache of hot aggregates' loads (getEncodedHistory): never staler than the
// file. Writes behind its back, from another process and from another connection in this one, are
// seen by the next load and by the next command; after any mix of local appends (with and without
// snapshots) and snapshot puts and deletes, a load equals what an uncached connection reads.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AnyPayload, CommandBookSchema, CommandPageSchema, Covers, EventPages, Uuid } from "@angzarr/proto";
import { aggregateComponent, buildRouter, MemoryClient } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";
import { AnySchema, StringValueSchema } from "@bufbuild/protobuf/wkt";
import { ConnectError } from "@connectrpc/connect";
import { MemoryBus } from "../../bus/memory/memory-bus";
import { AggregatePipeline } from "../../coordinator/aggregate-pipeline";
import { echoAggregate } from "../../testing/fixtures/echo-agg";
import { seeded } from "../../testing/reliability";
import { aggregateClient } from "../../transport/aggregate-client";
import { SequenceConflictError } from "../errors";
import type { AggregateRef, EncodedHistory, Storage } from "../types";
import { openSqliteStorage } from "./index";

let dir: string;
let path: string;
const open: Storage[] = [];

async function connect(): Promise<Storage> {
  const storage = await openSqliteStorage(path);
  open.push(storage);
  return storage;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "angzarr-history-cache-"));
  path = join(dir, "store.db");
});

afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

const root = Uuid.fromText("5e0c3f1a-2b4d-4c6e-8f10-a2b3c4d5e6f7");
const ref: AggregateRef = { domain: "echo", edition: "", root };
const text = (value: string) => AnyPayload.pack(StringValueSchema, create(StringValueSchema, { value }));
const raw = (value: string) =>
  create(AnySchema, { typeUrl: "type.test/t.E", value: new TextEncoder().encode(value) });

/** Appends one forced page (and a snapshot) to `ref` from a separate bun process. */
async function appendFromAnotherProcess(value: string, snapshot?: string): Promise<void> {
  const script = join(dir, "writer.ts");
  const index = join(import.meta.dir, "index.ts");
  const proto = join(import.meta.dir, "..", "..", "..", "proto", "index.ts");
  writeFileSync(
    script,
    `import { openSqliteStorage } from ${JSON.stringify(index)};
     import { EventPages } from ${JSON.stringify(proto)};
     const [path, rootHex, value, snapshot] = process.argv.slice(2);
     const storage = await openSqliteStorage(path);
     const root = Uint8Array.from(Buffer.from(rootHex, "hex"));
     const any = (v) => ({ $typeName: "google.protobuf.Any", typeUrl: "type.test/t.E", value: new TextEncoder().encode(v) });
     await storage.events.append({ domain: "echo", edition: "", root }, [EventPages.forced(any(value))], {
       correlationId: "other-process",
       ...(snapshot ? { snapshotState: any(snapshot) } : {}),
     });
     await storage.close();`,
  );
  const child = Bun.spawn(
    [
      process.execPath,
      script,
      path,
      Buffer.from(root).toString("hex"),
      value,
      ...(snapshot ? [snapshot] : []),
    ],
    { stdout: "ignore", stderr: "pipe" },
  );
  if ((await child.exited) !== 0) throw new Error(await new Response(child.stderr).text());
}

/** What an uncached read gives: the snapshot, then the encoded pages after it. */
async function truth(storage: Storage): Promise<EncodedHistory> {
  const snapshot = await storage.snapshots.get(ref);
  const pages = await storage.events.getEncodedFrom?.(ref, snapshot ? snapshot.sequence + 1 : 0);
  if (pages === undefined) throw new Error("the sqlite store reads encoded pages");
  return { snapshot, pages };
}

async function load(storage: Storage): Promise<EncodedHistory> {
  const history = await storage.events.getEncodedHistory?.(ref);
  if (history === undefined) throw new Error("the sqlite store loads encoded histories");
  return history;
}

function comparable(h: EncodedHistory) {
  return {
    snapshot: h.snapshot && {
      sequence: h.snapshot.sequence,
      type: h.snapshot.state.typeUrl,
      value: [...h.snapshot.state.value],
    },
    pages: [...h.pages.bytes],
    count: h.pages.count,
    last: h.pages.lastSequence,
  };
}

describe("sqlite history cache", () => {
  test("a write from another process is seen by the next load", async () => {
    const storage = await connect();
    await storage.events.append(ref, [EventPages.forced(raw("a")), EventPages.forced(raw("b"))], {
      correlationId: "c",
    });
    expect((await load(storage)).pages.lastSequence).toBe(1);
    expect((await load(storage)).pages.lastSequence).toBe(1); // served from memory
    await appendFromAnotherProcess("c");
    expect((await load(storage)).pages.lastSequence).toBe(2);
    await appendFromAnotherProcess("d", "state-at-3");
    const after = await load(storage);
    expect(after.snapshot?.sequence).toBe(3);
    expect(after.pages.count).toBe(0);
    expect(comparable(after)).toEqual(comparable(await truth(await connect())));
  });

  test("a write from another connection in this process is seen by the next load", async () => {
    const a = await connect();
    const b = await connect();
    await a.events.append(ref, [EventPages.forced(raw("a"))], { correlationId: "c" });
    await load(a);
    await b.events.append(ref, [EventPages.forced(raw("b"))], { correlationId: "c" });
    expect((await load(a)).pages.lastSequence).toBe(1);
    await b.snapshots.put(ref, { sequence: 1, state: raw("s1") });
    expect((await load(a)).snapshot?.sequence).toBe(1);
    await b.snapshots.delete(ref);
    expect(comparable(await load(a))).toEqual(comparable(await truth(b)));
  });

  test("after local appends, snapshots and snapshot deletes a load equals an uncached read", async () => {
    const storage = await connect();
    const reader = await connect(); // reads only: never changes what storage's cache sees
    const other = await connect();
    const random = seeded(17);
    for (let step = 0; step < 160; step++) {
      const roll = random();
      if (roll < 0.5) {
        const pages = Array.from({ length: 1 + Math.floor(random() * 3) }, (_, i) =>
          EventPages.forced(raw(`e${step}.${i}`)),
        );
        const withSnapshot = random() < 0.4;
        const expected = await reader.events.nextSequence(ref);
        const stored = await storage.events.append(ref, pages, {
          correlationId: `c${step}`,
          ...(withSnapshot ? { snapshotState: raw(`s${step}`) } : {}),
        });
        // Numbered where the file says the aggregate is, whatever the cache held.
        expect(EventPages.sequence(stored[0] as (typeof stored)[number])).toBe(expected);
      } else if (roll < 0.6) {
        const next = await storage.events.nextSequence(ref);
        if (next > 0)
          await storage.snapshots.put(ref, { sequence: Math.floor(random() * next), state: raw(`p${step}`) });
      } else if (roll < 0.7) {
        await storage.snapshots.delete(ref);
      } else if (roll < 0.8) {
        // Another connection appends between this connection's load and its next append.
        await other.events.append(ref, [EventPages.forced(raw(`x${step}`))], { correlationId: "x" });
        await storage.events.append(ref, [EventPages.forced(raw(`y${step}`))], { correlationId: "y" });
      } else {
        // Concurrent appends in one group commit: two to this aggregate, one to another.
        const elsewhere = { ...ref, root: Uuid.fromText("00000000-0000-4000-8000-000000000001") };
        await Promise.all([
          storage.events.append(ref, [EventPages.forced(raw(`g${step}`))], { correlationId: "g" }),
          storage.events.append(ref, [EventPages.forced(raw(`h${step}`))], {
            correlationId: "h",
            ...(random() < 0.5 ? { snapshotState: raw(`hs${step}`) } : {}),
          }),
          storage.events.append(elsewhere, [EventPages.forced(raw(`o${step}`))], { correlationId: "o" }),
        ]);
      }
      expect(comparable(await load(storage))).toEqual(comparable(await truth(reader)));
    }
  });

  test("appends are numbered from the file, not from a cached load another writer outdated", async () => {
    const storage = await connect();
    const other = await connect();
    // A snapshot with no pages after it: the cache knows the next sequence from the append.
    await storage.events.append(ref, [EventPages.forced(raw("a")), EventPages.forced(raw("b"))], {
      correlationId: "c",
      snapshotState: raw("s1"),
    });
    await load(storage);
    await other.events.append(ref, [EventPages.forced(raw("behind"))], { correlationId: "x" });
    // The cached entry says 2 comes next; the file says 3.
    await expect(
      storage.events.append(ref, [EventPages.numbered(2, raw("stale"))], { correlationId: "c" }),
    ).rejects.toBeInstanceOf(SequenceConflictError);
    const stored = await storage.events.append(ref, [EventPages.forced(raw("c"))], { correlationId: "c" });
    expect(stored.map((p) => EventPages.sequence(p))).toEqual([3]);
    // And from another process.
    await load(storage);
    await appendFromAnotherProcess("far", "state-at-4");
    await expect(
      storage.events.append(ref, [EventPages.numbered(4, raw("stale"))], { correlationId: "c" }),
    ).rejects.toBeInstanceOf(SequenceConflictError);
    const next = await storage.events.append(ref, [EventPages.numbered(5, raw("d"))], { correlationId: "c" });
    expect(next.map((p) => EventPages.sequence(p))).toEqual([5]);
    expect(comparable(await load(storage))).toEqual(comparable(await truth(other)));
  });

  test("a command sees an event written behind the cache's back", async () => {
    const storage = await connect();
    const bus = new MemoryBus();
    const handler = aggregateClient(new MemoryClient(buildRouter(aggregateComponent(echoAggregate("echo")))));
    const pipeline = new AggregatePipeline({
      events: storage.events,
      snapshots: storage.snapshots,
      editions: storage.editions,
      handlers: { aggregate: () => handler, aggregateDomains: () => ["echo"] },
      bus,
    });
    const command = (sequence: number) =>
      create(CommandBookSchema, {
        cover: Covers.make({ domain: "echo", root, correlationId: "cmd" }),
        pages: [create(CommandPageSchema, { sequence, command: text(`c${sequence}`) })],
      });
    try {
      await pipeline.execute(command(0));
      await pipeline.execute(command(1));
      await appendFromAnotherProcess("behind");
      const refused = await pipeline.execute(command(2)).catch((e: unknown) => ConnectError.from(e));
      expect(refused).toBeInstanceOf(ConnectError);
      const accepted = await pipeline.execute(command(3));
      expect(accepted.events?.pages.map((p) => EventPages.sequence(p))).toEqual([3]);
    } finally {
      await bus.close();
    }
  });
});
