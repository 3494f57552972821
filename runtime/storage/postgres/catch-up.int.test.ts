// PostgreSQL-specific: catch-up readers under out-of-order commits, and idempotent migrations.
//
// Positions come from a sequence, so a transaction can take position N, stall, and commit after
// another transaction has committed N+1. A reader that simply follows `position > cursor` would
// move its cursor past N and never see it. These tests hold a commit open and check that readAll
// and headPosition stop below it until it lands, then deliver every event exactly once.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Covers, EventBookSchema, EventPages, Uuid } from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { SQL } from "bun";
import { MemoryBus } from "../../bus/memory/memory-bus";
import { CheckpointedConsumer } from "../../coordinator/consumer";
import { waitFor } from "../../testing/processes";
import { visibleLog } from "../contract/fixtures";
import type { AggregateRef, StoredEvent } from "../types";
import { MANY_ROOTS_QUERY, readAllQuery } from "./events";
import { PostgresStorage } from "./index";
import { MIGRATIONS } from "./migrations";

const URL = process.env.ANGZARR_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const schemas: string[] = [];
let admin: SQL;

function freshSchema(label: string): string {
  const schema = `angzarr_t_${label}_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  schemas.push(schema);
  return schema;
}

function event(name: string): ReturnType<typeof EventPages.forced> {
  return EventPages.forced(
    create(AnySchema, { typeUrl: `type.test/${name}`, value: new TextEncoder().encode(name) }),
  );
}

function aggregate(domain: string): AggregateRef {
  return { domain, edition: "", root: Uuid.randomBytes() };
}

/** A resolvable promise, for holding a transaction open until the test lets it go. */
function latch(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

interface HeldAppend {
  stored: ReturnType<PostgresStorage["events"]["append"]>;
  release: () => void;
}

/**
 * Starts an append whose transaction has taken its position (and its transaction id) and then
 * stays open until `release()`; resolves once it is open. `stored` is the append's result.
 */
async function appendHeldOpen(
  storage: PostgresStorage,
  ref: AggregateRef,
  pages: ReturnType<typeof event>[],
  correlationId: string,
): Promise<HeldAppend> {
  const inserted = latch();
  const release = latch();
  const stored = storage.events.appendWith(
    ref,
    pages,
    { correlationId },
    {
      beforeCommit: async () => {
        inserted.open();
        await release.promise;
      },
    },
  );
  await inserted.promise;
  return { stored, release: release.open };
}

/** A catch-up reader: follows readAll from its cursor, remembering everything it saw. */
class Follower {
  cursor = 0n;
  readonly seen: StoredEvent[] = [];
  constructor(
    private readonly storage: PostgresStorage,
    private readonly batch = 100,
  ) {}

  async poll(): Promise<number> {
    const events = await this.storage.events.readAll(this.cursor, this.batch);
    for (const e of events) {
      expect(e.position).toBeGreaterThan(this.cursor);
      this.cursor = e.position;
      this.seen.push(e);
    }
    return events.length;
  }

  /**
   * Polls until it has seen `count` events. A committed event becomes readable once every older
   * transaction on the server has finished, which on a shared server may be a moment later.
   */
  async until(count: number): Promise<void> {
    await waitFor(`${count} events read`, async () => {
      await this.poll();
      return this.seen.length >= count;
    });
  }
}

beforeAll(() => {
  admin = new SQL({ url: URL, max: 2, bigint: true });
});

afterAll(async () => {
  for (const schema of schemas) await admin.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.close();
});

describe("catch-up reads on PostgreSQL", () => {
  test("a reader does not pass a position whose transaction commits late", async () => {
    const schema = freshSchema("late");
    const storage = await PostgresStorage.open({ url: URL, schema, maxConnections: 4 });
    let held: HeldAppend | undefined;
    try {
      const reader = new Follower(storage);
      await storage.events.append(aggregate("first"), [event("A")], { correlationId: "a" });
      await reader.until(1);
      expect(reader.cursor).toBe(1n);

      // D takes position 2, then holds its commit open.
      held = await appendHeldOpen(storage, aggregate("late"), [event("D")], "d");

      // B takes position 3 and commits while D is still open.
      await storage.events.append(aggregate("early"), [event("B")], { correlationId: "b" });
      const committed = (await admin.unsafe(`SELECT position FROM ${schema}.events ORDER BY position`)) as {
        position: bigint;
      }[];
      // The hazard is real: B (3) is committed and visible while D (2) is not.
      expect(committed.map((r) => r.position)).toEqual([1n, 3n]);

      // While D is open the reader keeps polling (a number of polls, not a time: a busy machine
      // makes each one slower) and must not move past 1.
      for (let polls = 0; polls < 20; polls++) {
        await reader.poll();
        expect(reader.cursor).toBe(1n);
        expect(await storage.events.headPosition()).toBe(1n);
        await Bun.sleep(20);
      }

      held.release();
      const stored = await held.stored;
      expect(stored.map((p) => EventPages.sequence(p))).toEqual([0]);

      await reader.until(3);
      expect(reader.seen.map((e) => [e.position, e.domain])).toEqual([
        [1n, "first"],
        [2n, "late"],
        [3n, "early"],
      ]);
      await waitFor("the head at 3", async () => (await storage.events.headPosition()) === 3n);
    } finally {
      held?.release();
      await storage.close();
    }
  });

  test("a filtered reader also waits for the late commit", async () => {
    const schema = freshSchema("filter");
    const storage = await PostgresStorage.open({ url: URL, schema, maxConnections: 4 });
    let held: HeldAppend | undefined;
    try {
      held = await appendHeldOpen(storage, aggregate("orders"), [event("late-1"), event("late-2")], "x");
      await storage.events.append(aggregate("orders"), [event("early")], { correlationId: "y" });
      expect(await storage.events.readAll(0n, 10, { domain: "orders" })).toEqual([]);
      held.release();
      await held.stored;
      const all = await visibleLog(storage, 0n, 3, { domain: "orders", edition: "" });
      expect(all.map((e) => e.position)).toEqual([1n, 2n, 3n]);
      expect(all.map((e) => e.page.event?.typeUrl)).toEqual([
        "type.test/late-1",
        "type.test/late-2",
        "type.test/early",
      ]);
    } finally {
      held?.release();
      await storage.close();
    }
  });

  test("concurrent writers with random commit delays: every event seen once, in position order", async () => {
    const schema = freshSchema("stress");
    const storage = await PostgresStorage.open({ url: URL, schema, maxConnections: 10 });
    try {
      const writers = 8;
      const appendsPerWriter = 20;
      const shared = aggregate("shared");
      let done = false;
      let expected = 0;

      const reader = new Follower(storage, 7);
      const reading = (async () => {
        while (!done) {
          await reader.poll();
          await Bun.sleep(1);
        }
        await reader.until(expected);
      })();

      const writing = Array.from({ length: writers }, async (_, w) => {
        const own = aggregate(`writer-${w}`);
        for (let i = 0; i < appendsPerWriter; i++) {
          const size = 1 + ((w + i) % 4);
          const ref = i % 3 === 0 ? shared : own;
          const pages = Array.from({ length: size }, (_, k) => event(`w${w}-a${i}-p${k}`));
          const delay = (w * 7 + i * 13) % 25;
          await storage.events.appendWith(
            ref,
            pages,
            { correlationId: `w${w}` },
            { beforeCommit: () => Bun.sleep(delay) },
          );
          expected += size;
        }
      });
      await Promise.all(writing);
      done = true;
      await reading;

      const positions = reader.seen.map((e) => e.position);
      expect(positions.length).toBe(expected);
      expect(new Set(positions).size).toBe(expected);
      for (let i = 1; i < positions.length; i++) {
        expect(positions[i] as bigint).toBeGreaterThan(positions[i - 1] as bigint);
      }
      const committed = (await admin.unsafe(`SELECT position FROM ${schema}.events ORDER BY position`)) as {
        position: bigint;
      }[];
      expect(committed.map((r) => r.position)).toEqual(positions);

      // Forced pages on the shared aggregate stay contiguous under contention.
      const sharedPages = await storage.events.get(shared);
      expect(sharedPages.map((p) => EventPages.sequence(p))).toEqual(sharedPages.map((_, i) => i));
    } finally {
      await storage.close();
    }
  });
});

describe("a consumer woken by a bus message", () => {
  // The bus only wakes a consumer; what it processes is what readAll returns. A book committed
  // while an older transaction anywhere on the server is still open is not readable yet (xmin),
  // so the catch-up its bus message starts finds nothing. The consumer must come back for it
  // once it is readable, not leave it to its poll (here: none at all).
  test("comes back for a book it could not read yet, once the older transaction has committed", async () => {
    const schema = freshSchema("wake");
    const storage = await PostgresStorage.open({ url: URL, schema, maxConnections: 4 });
    let held: HeldAppend | undefined;
    const handled: string[] = [];
    const consumer = new CheckpointedConsumer({
      name: "wake-late",
      filter: { domain: "orders" },
      edition: "",
      events: storage.events,
      positions: storage.positions,
      deadLetters: storage.deadLetters,
      bus: new MemoryBus(),
      subscribe: false,
      process: async (book) => {
        for (const p of book.pages) handled.push(new TextDecoder().decode(p.event?.value));
      },
    });
    try {
      await consumer.start();
      // An older transaction (another aggregate) stays open...
      held = await appendHeldOpen(storage, aggregate("other"), [event("older")], "o");
      // ...while the book is committed and its bus message arrives.
      const ref = aggregate("orders");
      const pages = await storage.events.append(ref, [event("placed")], { correlationId: "c" });
      const book = create(EventBookSchema, {
        cover: Covers.make({ domain: "orders", root: ref.root, correlationId: "c" }),
        pages,
      });
      await consumer.wakeFor(book);
      expect(handled).toEqual([]);
      held.release();
      await held.stored;
      await waitFor("the consumer to come back for the book", () => handled.length > 0, 20_000);
      expect(handled).toEqual(["placed"]);
    } finally {
      held?.release();
      await consumer.stop();
      await storage.close();
    }
  }, 60_000);
});

/** Runs `then` after ANALYZE of the schema's events. */
async function analyzed<T>(schema: string, then: () => Promise<T>): Promise<T> {
  await admin.unsafe(`ANALYZE ${schema}.events`);
  return await then();
}

describe("catch-up read plan", () => {
  test("a consumer's read (domain and timeline, after a position) is a range of one index, not the log or the domain", async () => {
    const schema = freshSchema("plan");
    const storage = await PostgresStorage.open({ url: URL, schema, maxConnections: 2 });
    try {
      // A domain with history on many aggregates, and another domain beside it.
      for (let i = 0; i < 40; i++) {
        const pages = Array.from({ length: 50 }, (_, k) => event(`e${i}-${k}`));
        await storage.events.append(aggregate(i % 4 === 0 ? "other" : "orders"), pages, {
          correlationId: "c",
        });
      }
      const { text } = readAllQuery(0n, 500, "other", "");
      const session = await admin.reserve();
      try {
        await session.unsafe(`SET search_path TO ${schema}`);
        /** The plan a consumer reading again and again gets (the generic one, after five runs). */
        const generic = async (name: string) => {
          await session.unsafe(
            `PREPARE ${name}(int8, text, text, int8) AS ${text.replace(/::(int8|text)/g, "")}`,
          );
          let plan = "";
          for (let i = 0; i < 8; i++) {
            const rows = (await session.unsafe(
              `EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE ${name}(0, 'other', '', 500)`,
            )) as { "QUERY PLAN": unknown }[];
            plan = JSON.stringify(rows[0]?.["QUERY PLAN"]);
          }
          return plan;
        };
        // A young table without statistics, then the same with them. Each time a range of the
        // timeline index, read in its order up to the limit: no row of the 1,500 beside them.
        // (Rows removed by a filter are not counted on: the safe mark may leave the newest out.)
        for (const plan of [await generic("young"), await analyzed(schema, () => generic("analyzed"))]) {
          const scans = [...plan.matchAll(/"Index Name":"([a-z_]+)"/g)].map((m) => m[1]);
          expect(scans).toEqual(["events_timeline_position"]);
          expect(plan).toContain('"Node Type":"Index Scan"');
          expect(plan).not.toContain('"Node Type":"Sort"');
        }
      } finally {
        session.release();
      }
    } finally {
      await storage.close();
    }
  });
});

describe("history read of many aggregates, plan", () => {
  test("a saga's destinations read (getMany) is a key range per aggregate, even in a plan made while the table was empty", async () => {
    const schema = freshSchema("many");
    const storage = await PostgresStorage.open({ url: URL, schema, maxConnections: 2 });
    const session = await admin.reserve();
    try {
      await session.unsafe(`SET search_path TO ${schema}`);
      // The plan a pool connection keeps for a statement it runs again and again: the generic one,
      // made here while the table is empty (a young deployment's first reads) and used after.
      await session.unsafe("SET plan_cache_mode = force_generic_plan");
      await session.unsafe(`PREPARE many(text[], bytea[]) AS ${MANY_ROOTS_QUERY}`);
      const asked = aggregate("ledger");
      const hex = `\\\\x${Buffer.from(asked.root).toString("hex")}`;
      const explain = async () => {
        const rows = (await session.unsafe(
          `EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE many('{ledger,ledger}', '{"${hex}","${hex}"}')`,
        )) as { "QUERY PLAN": unknown }[];
        return JSON.stringify(rows[0]?.["QUERY PLAN"]);
      };
      expect(await explain()).not.toContain('"Node Type":"Seq Scan"');
      await storage.events.append(asked, [event("a0"), event("a1"), event("a2")], { correlationId: "c" });
      for (let i = 0; i < 40; i++) {
        const pages = Array.from({ length: 50 }, (_, k) => event(`e${i}-${k}`));
        await storage.events.append(aggregate(i % 2 === 0 ? "ledger" : "src"), pages, { correlationId: "c" });
      }
      for (const plan of [await explain(), await analyzed(schema, explain)]) {
        // The asked aggregate's 3 rows, read once (asked twice) through the primary key: none of
        // the 2,000 beside them is read or filtered out.
        expect(plan).not.toContain('"Node Type":"Seq Scan"');
        expect(plan).not.toContain("Rows Removed by Filter");
        const scans = [...plan.matchAll(/"Index Name":"([a-z_]+)"[^}]*?"Actual Rows":(\d+)/g)];
        expect(scans.map((m) => m[1])).toEqual(["events_pkey"]);
        expect(scans.map((m) => Number(m[2]))).toEqual([3]);
        expect(plan).toMatch(
          /"Index Cond":"\(\(domain = t\.d\) AND \(edition = ''::text\) AND \(root = t\.r\)\)"/,
        );
      }
      expect((await storage.events.getMany([asked, asked])).map((pages) => pages.length)).toEqual([3, 3]);
    } finally {
      await session.unsafe("DEALLOCATE ALL").catch(() => undefined);
      session.release();
      await storage.close();
    }
  });
});

describe("migrations", () => {
  test("concurrent opens of a new schema apply each migration once; reopening applies nothing", async () => {
    const schema = freshSchema("migrate");
    const opened = await Promise.all(
      Array.from({ length: 4 }, () => PostgresStorage.open({ url: URL, schema, maxConnections: 2 })),
    );
    const ref = aggregate("kept");
    await opened[0]?.events.append(ref, [event("kept")], { correlationId: "k" });
    await Promise.all(opened.map((s) => s.close()));

    const reopened = await PostgresStorage.open({ url: URL, schema, maxConnections: 2 });
    try {
      const rows = (await admin.unsafe(
        `SELECT version, count(*) OVER () AS total FROM ${schema}.schema_migrations ORDER BY version`,
      )) as { version: number; total: bigint }[];
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
      expect(await reopened.events.get(ref)).toHaveLength(1);
      await waitFor("the head at 1", async () => (await reopened.events.headPosition()) === 1n);
    } finally {
      await reopened.close();
    }
  });

  test("a schema name that is not a plain identifier is refused before connecting", async () => {
    await expect(PostgresStorage.open({ url: URL, schema: "bad; DROP SCHEMA public" })).rejects.toMatchObject(
      {
        name: "InvalidInputError",
      },
    );
  });

  test("an unreachable server is a StorageFailure of kind unavailable", async () => {
    await expect(
      PostgresStorage.open({
        url: "postgres://postgres@127.0.0.1:1/postgres",
        schema: "angzarr_unreachable",
      }),
    ).rejects.toMatchObject({ name: "StorageUnavailable", kind: "unavailable" });
  });
});
