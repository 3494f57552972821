// Contract: appending and reading one aggregate's events on the main timeline.

import { describe, expect, test } from "bun:test";
import { Covers, EventPageSchema, EventPages, Timestamps } from "@angzarr/proto";
import { create, equals } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { SequenceConflictError } from "../errors";
import {
  at,
  type ContractContext,
  encoded,
  eventSnapshot,
  forced,
  hex,
  nanos,
  numbered,
  nums,
  payload,
  ref,
  root,
  rootText,
  texts,
  thrown,
  unset,
  visibleLog,
} from "./fixtures";

const CORR = { correlationId: "corr-1" };

export function defineEventStoreContract(ctx: ContractContext): void {
  describe("append", () => {
    test("explicit pages from 0 are stored, numbered and returned in order", async () => {
      const a = ref("orders", 1);
      const stored = await ctx.storage.events.append(a, numbered(0, "a", "b", "c"), CORR);
      expect(nums(stored)).toEqual([0, 1, 2]);
      expect(texts(stored)).toEqual(["a", "b", "c"]);
      const read = await ctx.storage.events.get(a);
      expect(nums(read)).toEqual([0, 1, 2]);
      expect(read.map((p) => encoded(p))).toEqual(stored.map((p) => encoded(p)));
      const more = await ctx.storage.events.append(a, numbered(3, "d"), CORR);
      expect(nums(more)).toEqual([3]);
      expect(texts(await ctx.storage.events.get(a))).toEqual(["a", "b", "c", "d"]);
    });

    test("a batch whose third page conflicts writes nothing (atomic)", async () => {
      const a = ref("orders", 1);
      const before = await eventSnapshot(ctx.storage, [a]);
      const pages = [...numbered(0, "a", "b"), ...numbered(3, "gap")];
      const err = await thrown(() =>
        ctx.storage.events.append(a, pages, { ...CORR, snapshotState: payload("state") }),
      );
      expect(err).toBeInstanceOf(SequenceConflictError);
      expect((err as SequenceConflictError).kind).toBe("conflict");
      expect(await eventSnapshot(ctx.storage, [a])).toBe(before);
      expect(await ctx.storage.events.get(a)).toEqual([]);
      expect(await ctx.storage.events.readAll(0n, 100)).toEqual([]);
      expect(await ctx.storage.snapshots.get(a)).toBeUndefined();
    });

    test("a stale or skipping explicit number conflicts, reporting expected and actual", async () => {
      const a = ref("orders", 1);
      await ctx.storage.events.append(a, numbered(0, "a", "b", "c"), CORR);
      const before = await eventSnapshot(ctx.storage, [a]);

      const stale = await thrown(() => ctx.storage.events.append(a, numbered(1, "x"), CORR));
      expect(stale).toBeInstanceOf(SequenceConflictError);
      expect((stale as SequenceConflictError).kind).toBe("conflict");
      expect((stale as SequenceConflictError).expected).toBe(3);
      expect((stale as SequenceConflictError).actual).toBe(1);

      const again = await thrown(() => ctx.storage.events.append(a, numbered(2, "x", "y"), CORR));
      expect(again).toBeInstanceOf(SequenceConflictError);
      expect((again as SequenceConflictError).expected).toBe(3);
      expect((again as SequenceConflictError).actual).toBe(2);

      const skip = await thrown(() => ctx.storage.events.append(a, numbered(5, "x"), CORR));
      expect(skip).toBeInstanceOf(SequenceConflictError);
      expect((skip as SequenceConflictError).expected).toBe(3);
      expect((skip as SequenceConflictError).actual).toBe(5);

      expect(await eventSnapshot(ctx.storage, [a])).toBe(before);
    });

    test("an explicit page 0 on an aggregate with events conflicts", async () => {
      const a = ref("orders", 1);
      await ctx.storage.events.append(a, numbered(0, "a"), CORR);
      const err = await thrown(() => ctx.storage.events.append(a, numbered(0, "dup"), CORR));
      expect(err).toBeInstanceOf(SequenceConflictError);
      expect((err as SequenceConflictError).expected).toBe(1);
      expect((err as SequenceConflictError).actual).toBe(0);
      expect(texts(await ctx.storage.events.get(a))).toEqual(["a"]);
    });

    test("force and unset pages are numbered by the store", async () => {
      const a = ref("orders", 1);
      const first = await ctx.storage.events.append(a, forced("f0"), CORR);
      expect(nums(first)).toEqual([0]);
      await ctx.storage.events.append(a, numbered(1, "n1"), CORR);
      const mixed = await ctx.storage.events.append(a, [...forced("f2"), unset("u3"), ...forced("f4")], CORR);
      expect(nums(mixed)).toEqual([2, 3, 4]);
      const explicitThenForced = await ctx.storage.events.append(
        a,
        [...numbered(5, "n5"), ...forced("f6")],
        CORR,
      );
      expect(nums(explicitThenForced)).toEqual([5, 6]);
      const forcedThenExplicit = await ctx.storage.events.append(
        a,
        [...forced("f7"), ...numbered(8, "n8")],
        CORR,
      );
      expect(nums(forcedThenExplicit)).toEqual([7, 8]);
      const read = await ctx.storage.events.get(a);
      expect(nums(read)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
      expect(texts(read)).toEqual(["f0", "n1", "f2", "u3", "f4", "n5", "f6", "f7", "n8"]);
    });

    test("an explicit page after a forced one must follow it directly", async () => {
      const a = ref("orders", 1);
      await ctx.storage.events.append(a, numbered(0, "a"), CORR);
      const before = await eventSnapshot(ctx.storage, [a]);
      const err = await thrown(() =>
        ctx.storage.events.append(a, [...forced("f1"), ...numbered(3, "n3")], CORR),
      );
      expect(err).toBeInstanceOf(SequenceConflictError);
      expect((err as SequenceConflictError).expected).toBe(2);
      expect((err as SequenceConflictError).actual).toBe(3);
      expect(await eventSnapshot(ctx.storage, [a])).toBe(before);
    });

    test("the writer's expected next refuses an append finding the aggregate elsewhere, forced pages too", async () => {
      const a = ref("orders", 1);
      await ctx.storage.events.append(a, numbered(0, "a", "b"), CORR);
      const before = await eventSnapshot(ctx.storage, [a]);
      for (const [pages, expectedNext] of [
        [forced("f"), 1],
        [[unset("u")], 3],
        [numbered(2, "n"), 1],
      ] as const) {
        const err = await thrown(() =>
          ctx.storage.events.append(a, [...pages], { ...CORR, expectedNext, snapshotState: payload("s") }),
        );
        expect(err).toBeInstanceOf(SequenceConflictError);
        expect((err as SequenceConflictError).expected).toBe(expectedNext);
      }
      expect(await eventSnapshot(ctx.storage, [a])).toBe(before);
      const stored = await ctx.storage.events.append(a, forced("f2"), { ...CORR, expectedNext: 2 });
      expect(nums(stored)).toEqual([2]);
      const numberedToo = await ctx.storage.events.append(a, numbered(3, "n3"), { ...CORR, expectedNext: 3 });
      expect(nums(numberedToo)).toEqual([3]);
    });

    test("an empty append is a no-op returning []", async () => {
      const a = ref("orders", 1);
      expect(await ctx.storage.events.append(a, [], { ...CORR, snapshotState: payload("s") })).toEqual([]);
      expect(await ctx.storage.events.get(a)).toEqual([]);
      expect(await ctx.storage.events.nextSequence(a)).toBe(0);
      expect(await ctx.storage.events.listDomains()).toEqual([]);
      expect(await ctx.storage.events.headPosition()).toBe(0n);
      expect(await ctx.storage.snapshots.get(a)).toBeUndefined();
      await ctx.storage.events.append(a, numbered(0, "a"), CORR);
      const before = await eventSnapshot(ctx.storage, [a]);
      expect(await ctx.storage.events.append(a, [], CORR)).toEqual([]);
      expect(await eventSnapshot(ctx.storage, [a])).toBe(before);
    });

    test("type URL, payload and timestamp round-trip byte-exact", async () => {
      const a = ref("orders", 1);
      const payloads = [
        create(AnySchema, {
          typeUrl: "type.googleapis.com/examples.OrderCreated",
          value: new Uint8Array([0, 1, 2, 255, 0]),
        }),
        create(AnySchema, { typeUrl: "type.test/x.Y", value: new Uint8Array(0) }),
        create(AnySchema, {
          typeUrl: "angzarr.Projection",
          value: Uint8Array.from({ length: 300 }, (_, i) => i % 256),
        }),
        create(AnySchema, {
          typeUrl: "type.examples/ünïcode.Ëvent",
          value: new TextEncoder().encode("é\u0000✓"),
        }),
      ];
      const times = [
        at(1_700_000_000, 123_456_789),
        at(0, 1),
        at(-1, 999_999_999),
        at(4_102_444_800, 999_999_999),
      ];
      const pages = payloads.map((event, i) => EventPages.numbered(i, event, times[i]));
      const stored = await ctx.storage.events.append(a, pages, CORR);
      const read = await ctx.storage.events.get(a);
      expect(read.length).toBe(pages.length);
      for (let i = 0; i < pages.length; i++) {
        const page = pages[i];
        if (page === undefined) throw new Error("missing page");
        expect(equals(EventPageSchema, read[i] ?? create(EventPageSchema), page)).toBe(true);
        expect(encoded(read[i] ?? create(EventPageSchema))).toEqual(encoded(page));
        expect(encoded(stored[i] ?? create(EventPageSchema))).toEqual(encoded(page));
        expect(read[i]?.event?.typeUrl).toBe(page.event?.typeUrl ?? "");
        expect(read[i]?.createdAt?.seconds).toBe(page.createdAt?.seconds ?? 0n);
        expect(read[i]?.createdAt?.nanos).toBe(page.createdAt?.nanos ?? 0);
      }
      const log = await visibleLog(ctx.storage, 0n, pages.length);
      expect(log.map((e) => encoded(e.page))).toEqual(pages.map(encoded));
      const [book] = await ctx.storage.events.getByCorrelation(CORR.correlationId);
      expect(book?.pages.map(encoded)).toEqual(pages.map(encoded));
    });

    test("created_at is filled with the append time when missing, and returned", async () => {
      const a = ref("orders", 1);
      const before = Timestamps.toNanos(Timestamps.now()) - 5_000_000_000n;
      const stored = await ctx.storage.events.append(a, numbered(0, "a", "b"), CORR);
      const after = Timestamps.toNanos(Timestamps.now()) + 5_000_000_000n;
      for (const page of stored) {
        const t = nanos(page.createdAt);
        expect(t >= before && t <= after).toBe(true);
      }
      const read = await ctx.storage.events.get(a);
      expect(read.map((p) => nanos(p.createdAt))).toEqual(stored.map((p) => nanos(p.createdAt)));
      // A given created_at is kept as is.
      const given = at(1_600_000_000, 42);
      const kept = await ctx.storage.events.append(a, [EventPages.numbered(2, payload("c"), given)], CORR);
      expect(nanos(kept[0]?.createdAt)).toBe(nanos(given));
      expect(nanos((await ctx.storage.events.get(a))[2]?.createdAt)).toBe(nanos(given));
    });
  });

  describe("reads", () => {
    test("getFrom and getRange select by sequence, inclusive at both ends", async () => {
      const a = ref("orders", 1);
      await ctx.storage.events.append(a, numbered(0, "p0", "p1", "p2", "p3", "p4"), CORR);
      expect(nums(await ctx.storage.events.getFrom(a, 0))).toEqual([0, 1, 2, 3, 4]);
      expect(nums(await ctx.storage.events.getFrom(a, 2))).toEqual([2, 3, 4]);
      expect(nums(await ctx.storage.events.getFrom(a, 4))).toEqual([4]);
      expect(await ctx.storage.events.getFrom(a, 5)).toEqual([]);
      expect(nums(await ctx.storage.events.getRange(a, 1, 3))).toEqual([1, 2, 3]);
      expect(texts(await ctx.storage.events.getRange(a, 1, 3))).toEqual(["p1", "p2", "p3"]);
      expect(nums(await ctx.storage.events.getRange(a, 3, 3))).toEqual([3]);
      expect(nums(await ctx.storage.events.getRange(a, 0, 100))).toEqual([0, 1, 2, 3, 4]);
      expect(await ctx.storage.events.getRange(a, 4, 2)).toEqual([]);
      expect(await ctx.storage.events.getRange(a, 7, 9)).toEqual([]);
      expect(await ctx.storage.events.getFrom(ref("orders", 2), 0)).toEqual([]);
    });

    test("getUntil returns pages created at or before the time", async () => {
      const a = ref("orders", 1);
      const times = [at(1000), at(2000, 500), at(2000, 501), at(3000)];
      await ctx.storage.events.append(
        a,
        times.map((t, i) => EventPages.numbered(i, payload(`p${i}`), t)),
        CORR,
      );
      expect(nums(await ctx.storage.events.getUntil(a, at(999)))).toEqual([]);
      expect(nums(await ctx.storage.events.getUntil(a, at(1000)))).toEqual([0]);
      expect(nums(await ctx.storage.events.getUntil(a, at(2000, 500)))).toEqual([0, 1]);
      expect(nums(await ctx.storage.events.getUntil(a, at(2000, 501)))).toEqual([0, 1, 2]);
      expect(nums(await ctx.storage.events.getUntil(a, at(5000)))).toEqual([0, 1, 2, 3]);
    });

    test("correlations gives each page's correlation id of the aggregate's own timeline, by sequence", async () => {
      const s = ctx.storage.events;
      await s.append(ref("alpha", 7), numbered(0, "a", "b"), { correlationId: "first" });
      await s.append(ref("alpha", 7), numbered(2, "c"), { correlationId: "second" });
      await s.append(ref("alpha", 7, "branch"), forced("d"), { correlationId: "what-if" });
      expect(await s.correlations(ref("alpha", 7))).toEqual([
        { sequence: 0, correlationId: "first" },
        { sequence: 1, correlationId: "first" },
        { sequence: 2, correlationId: "second" },
      ]);
      expect(await s.correlations(ref("alpha", 7, "branch"))).toEqual([
        { sequence: 3, correlationId: "what-if" },
      ]);
      expect(await s.correlations(ref("alpha", 8))).toEqual([]);
    });

    test("getByCorrelation returns one book per aggregate with only that correlation's pages, in order", async () => {
      const s = ctx.storage.events;
      // Written out of order on purpose.
      await s.append(ref("zebra", 1), numbered(0, "z1"), { correlationId: "wf" });
      await s.append(ref("alpha", 2), numbered(0, "a2-other"), { correlationId: "other" });
      await s.append(ref("alpha", 2), numbered(1, "a2-wf"), { correlationId: "wf" });
      await s.append(ref("alpha", 2), numbered(2, "a2-other2"), { correlationId: "other" });
      await s.append(ref("alpha", 2), numbered(3, "a2-wf2", "a2-wf3"), { correlationId: "wf" });
      await s.append(ref("alpha", 1), forced("a1"), { correlationId: "wf" });
      await s.append(ref("alpha", 1, "branch"), forced("a1-branch"), { correlationId: "wf" });
      await s.append(ref("beta", 3), forced("b3"), { correlationId: "unrelated" });

      const books = await s.getByCorrelation("wf");
      const summary = books.map((b) => ({
        domain: b.cover?.domain,
        edition: Covers.edition(b.cover),
        root: rootText(Covers.rootBytes(b.cover) ?? new Uint8Array()),
        correlationId: b.cover?.correlationId,
        pages: texts(b.pages),
        nums: nums(b.pages),
      }));
      expect(summary).toEqual([
        {
          domain: "alpha",
          edition: "",
          root: rootText(root(1)),
          correlationId: "wf",
          pages: ["a1"],
          nums: [0],
        },
        {
          domain: "alpha",
          edition: "",
          root: rootText(root(2)),
          correlationId: "wf",
          pages: ["a2-wf", "a2-wf2", "a2-wf3"],
          nums: [1, 3, 4],
        },
        {
          domain: "alpha",
          edition: "branch",
          root: rootText(root(1)),
          correlationId: "wf",
          pages: ["a1-branch"],
          nums: [1], // continues the composite history (main holds 0)
        },
        {
          domain: "zebra",
          edition: "",
          root: rootText(root(1)),
          correlationId: "wf",
          pages: ["z1"],
          nums: [0],
        },
      ]);
      // Main-timeline covers leave the edition unset; edition covers name it.
      expect(books[0]?.cover?.edition).toBeUndefined();
      expect(books[2]?.cover?.edition?.name).toBe("branch");
      for (const book of books) for (const page of book.pages) expect(page.createdAt).toBeDefined();
      expect(await s.getByCorrelation("nobody")).toEqual([]);
      // Same answer every time.
      const again = await s.getByCorrelation("wf");
      expect(again.map((b) => b.cover?.domain)).toEqual(books.map((b) => b.cover?.domain));
    });

    test("listRoots, listDomains and listAggregates are sorted and isolated", async () => {
      const s = ctx.storage.events;
      await s.append(ref("orders", 3), forced("x"), CORR);
      await s.append(ref("orders", 1), forced("x"), CORR);
      await s.append(ref("orders", 2, "branch"), forced("x"), CORR);
      await s.append(ref("carts", 4), forced("x"), CORR);
      await s.append(ref("inventory", 5, "branch"), forced("x"), CORR);
      expect((await s.listRoots("orders", "")).map(hex)).toEqual([root(1), root(3)].map(hex));
      expect((await s.listRoots("orders", "branch")).map(hex)).toEqual([root(2)].map(hex));
      expect((await s.listRoots("carts", "")).map(hex)).toEqual([root(4)].map(hex));
      expect((await s.listRoots("carts", "branch")).map(hex)).toEqual([]);
      expect((await s.listRoots("nothing", "")).map(hex)).toEqual([]);
      expect(await s.listDomains()).toEqual(["carts", "inventory", "orders"]);
      const aggregates = (await s.listAggregates()).map((x) => ({ ...x, root: hex(x.root) }));
      expect(aggregates).toEqual([
        { domain: "carts", edition: "", root: hex(root(4)) },
        { domain: "inventory", edition: "branch", root: hex(root(5)) },
        { domain: "orders", edition: "", root: hex(root(1)) },
        { domain: "orders", edition: "", root: hex(root(3)) },
        { domain: "orders", edition: "branch", root: hex(root(2)) },
      ]);
    });

    test("roots sort by their bytes", async () => {
      const s = ctx.storage.events;
      const high = new Uint8Array(16).fill(0xff);
      const low = new Uint8Array(16);
      const mid = new Uint8Array(16).fill(0x7f);
      for (const r of [high, low, mid])
        await s.append({ domain: "d", edition: "", root: r }, forced("x"), CORR);
      expect((await s.listRoots("d", "")).map(hex)).toEqual([low, mid, high].map(hex));
    });

    test("nextSequence is last + 1, else 0, per aggregate", async () => {
      const s = ctx.storage.events;
      expect(await s.nextSequence(ref("orders", 1))).toBe(0);
      await s.append(ref("orders", 1), numbered(0, "a", "b", "c"), CORR);
      await s.append(ref("orders", 2), numbered(0, "a"), CORR);
      expect(await s.nextSequence(ref("orders", 1))).toBe(3);
      expect(await s.nextSequence(ref("orders", 2))).toBe(1);
      expect(await s.nextSequence(ref("carts", 1))).toBe(0);
      // A snapshot does not move it.
      await ctx.storage.snapshots.put(ref("orders", 3), { sequence: 9, state: payload("s") });
      expect(await s.nextSequence(ref("orders", 3))).toBe(0);
    });

    test("aggregates are isolated by domain, edition and root", async () => {
      const s = ctx.storage.events;
      await s.append(ref("orders", 1), numbered(0, "main"), CORR);
      await s.append(ref("carts", 1), numbered(0, "carts", "carts2"), CORR);
      await s.append(ref("orders", 2), numbered(0, "other-root"), CORR);
      expect(texts(await s.get(ref("orders", 1)))).toEqual(["main"]);
      expect(texts(await s.get(ref("carts", 1)))).toEqual(["carts", "carts2"]);
      expect(texts(await s.get(ref("orders", 2)))).toEqual(["other-root"]);
      expect(await s.get(ref("orders", 3))).toEqual([]);
    });
  });
}
