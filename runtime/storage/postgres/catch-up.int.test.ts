// PostgreSQL-specific: catch-up readers under out-of-order commits, and idempotent migrations.
//
// Positions come from a sequence, so a transaction can take position N, stall, and commit after
// another transaction has committed N+1. A reader that simply follows `position > cursor` would
// move its cursor past N and never see it. These tests hold a commit open and check that readAll
// and headPosition stop below it until it lands, then deliver every event exactly once.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { EventPages, Uuid } from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { SQL } from "bun";
import type { AggregateRef, StoredEvent } from "../types";
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

  async drain(): Promise<void> {
    while ((await this.poll()) > 0) {}
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
    const inserted = latch();
    const release = latch();
    try {
      const reader = new Follower(storage);
      await storage.events.append(aggregate("first"), [event("A")], { correlationId: "a" });
      await reader.poll();
      expect(reader.cursor).toBe(1n);

      // D takes position 2, then holds its commit open.
      const delayed = storage.events.appendWith(
        aggregate("late"),
        [event("D")],
        { correlationId: "d" },
        {
          beforeCommit: async () => {
            inserted.open();
            await release.promise;
          },
        },
      );
      await inserted.promise;

      // B takes position 3 and commits while D is still open.
      await storage.events.append(aggregate("early"), [event("B")], { correlationId: "b" });
      const committed = (await admin.unsafe(`SELECT position FROM ${schema}.events ORDER BY position`)) as {
        position: bigint;
      }[];
      // The hazard is real: B (3) is committed and visible while D (2) is not.
      expect(committed.map((r) => r.position)).toEqual([1n, 3n]);

      // For ~500 ms the reader keeps polling and must not move past 1.
      const holdUntil = performance.now() + 500;
      let polls = 0;
      while (performance.now() < holdUntil) {
        await reader.poll();
        polls++;
        expect(reader.cursor).toBe(1n);
        expect(await storage.events.headPosition()).toBe(1n);
        await Bun.sleep(20);
      }
      expect(polls).toBeGreaterThan(5);

      release.open();
      const stored = await delayed;
      expect(stored.map((p) => EventPages.sequence(p))).toEqual([0]);

      await reader.drain();
      expect(reader.seen.map((e) => [e.position, e.domain])).toEqual([
        [1n, "first"],
        [2n, "late"],
        [3n, "early"],
      ]);
      expect(await storage.events.headPosition()).toBe(3n);
    } finally {
      release.open();
      await storage.close();
    }
  });

  test("a filtered reader also waits for the late commit", async () => {
    const schema = freshSchema("filter");
    const storage = await PostgresStorage.open({ url: URL, schema, maxConnections: 4 });
    const inserted = latch();
    const release = latch();
    try {
      const delayed = storage.events.appendWith(
        aggregate("orders"),
        [event("late-1"), event("late-2")],
        { correlationId: "x" },
        {
          beforeCommit: async () => {
            inserted.open();
            await release.promise;
          },
        },
      );
      await inserted.promise;
      await storage.events.append(aggregate("orders"), [event("early")], { correlationId: "y" });
      expect(await storage.events.readAll(0n, 10, { domain: "orders" })).toEqual([]);
      release.open();
      await delayed;
      const all = await storage.events.readAll(0n, 10, { domain: "orders", edition: "" });
      expect(all.map((e) => e.position)).toEqual([1n, 2n, 3n]);
      expect(all.map((e) => e.page.event?.typeUrl)).toEqual([
        "type.test/late-1",
        "type.test/late-2",
        "type.test/early",
      ]);
    } finally {
      release.open();
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
        await reader.drain();
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
      expect(await reopened.events.headPosition()).toBe(1n);
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

  test("an unreachable server is a StorageFailure", async () => {
    await expect(
      PostgresStorage.open({
        url: "postgres://postgres@127.0.0.1:1/postgres",
        schema: "angzarr_unreachable",
      }),
    ).rejects.toMatchObject({ name: "StorageFailure" });
  });
});
