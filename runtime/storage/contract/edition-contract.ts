// Contract: composite reads and writes on editions, and edition deletion.

import { describe, expect, test } from "bun:test";
import { EventPages } from "@angzarr/proto";
import { InvalidInputError, SequenceConflictError } from "../errors";
import type { AggregateRef } from "../types";
import {
  at,
  type ContractContext,
  eventSnapshot,
  forced,
  hex,
  numbered,
  nums,
  payload,
  ref,
  texts,
  thrown,
} from "./fixtures";

const CORR = { correlationId: "corr-ed" };

/** Main timeline of orders/1 with pages m0..m4. */
async function seedMain(ctx: ContractContext): Promise<AggregateRef> {
  const main = ref("orders", 1);
  await ctx.storage.events.append(main, numbered(0, "m0", "m1", "m2", "m3", "m4"), CORR);
  return main;
}

export function defineEditionContract(ctx: ContractContext): void {
  describe("edition composite reads (implicit divergence)", () => {
    test("an edition holding nothing sees the whole main history and continues after it", async () => {
      await seedMain(ctx);
      const ed = ref("orders", 1, "what-if");
      expect(texts(await ctx.storage.events.get(ed))).toEqual(["m0", "m1", "m2", "m3", "m4"]);
      expect(await ctx.storage.events.nextSequence(ed)).toBe(5);
      const err = await thrown(() => ctx.storage.events.append(ed, numbered(0, "e0"), CORR));
      expect(err).toBeInstanceOf(SequenceConflictError);
      expect((err as SequenceConflictError).expected).toBe(5);
      expect((err as SequenceConflictError).actual).toBe(0);
    });

    test("writes into an edition continue the composite history and stay off the main timeline", async () => {
      const main = await seedMain(ctx);
      const ed = ref("orders", 1, "what-if");
      expect(nums(await ctx.storage.events.append(ed, numbered(5, "e5"), CORR))).toEqual([5]);
      expect(nums(await ctx.storage.events.append(ed, forced("e6", "e7"), CORR))).toEqual([6, 7]);
      expect(texts(await ctx.storage.events.get(ed))).toEqual([
        "m0",
        "m1",
        "m2",
        "m3",
        "m4",
        "e5",
        "e6",
        "e7",
      ]);
      expect(nums(await ctx.storage.events.get(ed))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(await ctx.storage.events.nextSequence(ed)).toBe(8);
      expect(texts(await ctx.storage.events.getFrom(ed, 3))).toEqual(["m3", "m4", "e5", "e6", "e7"]);
      expect(texts(await ctx.storage.events.getRange(ed, 4, 6))).toEqual(["m4", "e5", "e6"]);

      // Nothing written into the edition is visible on main.
      expect(texts(await ctx.storage.events.get(main))).toEqual(["m0", "m1", "m2", "m3", "m4"]);
      expect(await ctx.storage.events.nextSequence(main)).toBe(5);
      expect((await ctx.storage.events.listRoots("orders", "what-if")).map(hex)).toEqual([hex(main.root)]);

      // Main moving on does not leak into the edition past its divergence point.
      await ctx.storage.events.append(main, numbered(5, "m5", "m6"), CORR);
      expect(texts(await ctx.storage.events.get(ed))).toEqual([
        "m0",
        "m1",
        "m2",
        "m3",
        "m4",
        "e5",
        "e6",
        "e7",
      ]);
      expect(texts(await ctx.storage.events.get(main))).toEqual(["m0", "m1", "m2", "m3", "m4", "m5", "m6"]);
    });

    test("getUntil on an edition filters the composite history", async () => {
      const main = ref("orders", 1);
      await ctx.storage.events.append(
        main,
        [EventPages.numbered(0, payload("m0"), at(100)), EventPages.numbered(1, payload("m1"), at(200))],
        CORR,
      );
      const ed = ref("orders", 1, "what-if");
      await ctx.storage.events.append(ed, [EventPages.numbered(2, payload("e2"), at(300))], CORR);
      expect(texts(await ctx.storage.events.getUntil(ed, at(150)))).toEqual(["m0"]);
      expect(texts(await ctx.storage.events.getUntil(ed, at(300)))).toEqual(["m0", "m1", "e2"]);
    });
  });

  describe("edition composite reads (explicit divergence)", () => {
    test("sequence divergence inherits main pages below it", async () => {
      const main = await seedMain(ctx);
      const ed: AggregateRef = {
        ...ref("orders", 1, "what-if"),
        divergence: { kind: "sequence", sequence: 2 },
      };
      expect(texts(await ctx.storage.events.get(ed))).toEqual(["m0", "m1"]);
      expect(await ctx.storage.events.nextSequence(ed)).toBe(2);
      const conflict = await thrown(() => ctx.storage.events.append(ed, numbered(5, "e5"), CORR));
      expect(conflict).toBeInstanceOf(SequenceConflictError);
      expect((conflict as SequenceConflictError).expected).toBe(2);
      expect(nums(await ctx.storage.events.append(ed, numbered(2, "e2", "e3"), CORR))).toEqual([2, 3]);
      expect(texts(await ctx.storage.events.get(ed))).toEqual(["m0", "m1", "e2", "e3"]);
      expect(nums(await ctx.storage.events.get(ed))).toEqual([0, 1, 2, 3]);
      expect(await ctx.storage.events.nextSequence(ed)).toBe(4);
      expect(texts(await ctx.storage.events.getFrom(ed, 1))).toEqual(["m1", "e2", "e3"]);
      expect(texts(await ctx.storage.events.getRange(ed, 1, 2))).toEqual(["m1", "e2"]);
      expect(texts(await ctx.storage.events.get(main))).toEqual(["m0", "m1", "m2", "m3", "m4"]);
      // The explicit point is ignored on the main timeline.
      const mainWithPoint: AggregateRef = { ...main, divergence: { kind: "sequence", sequence: 1 } };
      expect(texts(await ctx.storage.events.get(mainWithPoint))).toEqual(["m0", "m1", "m2", "m3", "m4"]);
    });

    test("sequence divergence 0 inherits nothing", async () => {
      await seedMain(ctx);
      const ed: AggregateRef = {
        ...ref("orders", 1, "fresh"),
        divergence: { kind: "sequence", sequence: 0 },
      };
      expect(await ctx.storage.events.get(ed)).toEqual([]);
      expect(await ctx.storage.events.nextSequence(ed)).toBe(0);
      expect(nums(await ctx.storage.events.append(ed, forced("e0"), CORR))).toEqual([0]);
      expect(texts(await ctx.storage.events.get(ed))).toEqual(["e0"]);
    });

    test("time divergence inherits main pages created at or before it", async () => {
      const main = ref("orders", 1);
      await ctx.storage.events.append(
        main,
        [10, 20, 30, 40].map((s, i) => EventPages.numbered(i, payload(`m${i}`), at(s, 5))),
        CORR,
      );
      const ed: AggregateRef = {
        ...ref("orders", 1, "what-if"),
        divergence: { kind: "time", time: at(30, 5) },
      };
      expect(texts(await ctx.storage.events.get(ed))).toEqual(["m0", "m1", "m2"]);
      expect(await ctx.storage.events.nextSequence(ed)).toBe(3);
      expect(nums(await ctx.storage.events.append(ed, forced("e3"), CORR))).toEqual([3]);
      expect(texts(await ctx.storage.events.get(ed))).toEqual(["m0", "m1", "m2", "e3"]);
      const earlier: AggregateRef = {
        ...ref("orders", 1, "earlier"),
        divergence: { kind: "time", time: at(30, 4) },
      };
      expect(texts(await ctx.storage.events.get(earlier))).toEqual(["m0", "m1"]);
      expect(await ctx.storage.events.nextSequence(earlier)).toBe(2);
    });
  });

  describe("edition event counts", () => {
    test("count only the edition's own events, per domain; main is refused", async () => {
      await seedMain(ctx);
      expect(await ctx.storage.events.countEdition("what-if")).toEqual([]);
      await ctx.storage.events.append(ref("orders", 1, "what-if"), forced("e5", "e6"), CORR);
      await ctx.storage.events.append(ref("orders", 2, "what-if"), forced("f0"), CORR);
      await ctx.storage.events.append(ref("carts", 1, "what-if"), forced("c0"), CORR);
      await ctx.storage.events.append(ref("carts", 1, "other"), forced("o0"), CORR);
      expect(await ctx.storage.events.countEdition("what-if")).toEqual([
        { domain: "carts", events: 1 },
        { domain: "orders", events: 3 },
      ]);
      expect(await thrown(() => ctx.storage.events.countEdition(""))).toBeInstanceOf(InvalidInputError);
      expect(await thrown(() => ctx.storage.events.countEdition("angzarr"))).toBeInstanceOf(
        InvalidInputError,
      );
    });
  });

  describe("edition deletion", () => {
    test("deleting the main timeline is refused and changes nothing", async () => {
      const main = await seedMain(ctx);
      await ctx.storage.snapshots.put(main, { sequence: 4, state: payload("s") });
      const before = await eventSnapshot(ctx.storage, [main]);
      const err = await thrown(() => ctx.storage.events.deleteEdition("orders", ""));
      expect(err).toBeInstanceOf(InvalidInputError);
      expect((err as InvalidInputError).kind).toBe("invalid");
      expect((err as InvalidInputError).message).toContain("Cannot delete main timeline events");
      expect(await eventSnapshot(ctx.storage, [main])).toBe(before);
    });

    test("deletes the edition's events and snapshots of one domain, nothing else", async () => {
      const main = await seedMain(ctx);
      const ed = ref("orders", 1, "what-if");
      const ed2 = ref("orders", 2, "what-if");
      const otherDomain = ref("carts", 1, "what-if");
      const otherEdition = ref("orders", 1, "other");
      await ctx.storage.events.append(ed, forced("e5", "e6"), CORR);
      await ctx.storage.events.append(ed2, forced("f0"), CORR);
      await ctx.storage.events.append(otherDomain, forced("c0"), CORR);
      await ctx.storage.events.append(otherEdition, forced("o5"), CORR);
      await ctx.storage.snapshots.put(main, { sequence: 4, state: payload("main-state") });
      await ctx.storage.snapshots.put(ed, { sequence: 6, state: payload("ed-state") });
      await ctx.storage.snapshots.put(ed2, { sequence: 0, state: payload("ed2-state") });
      await ctx.storage.snapshots.put(otherDomain, { sequence: 0, state: payload("c-state") });
      const untouched = [main, otherDomain, otherEdition];
      const before = await Promise.all(untouched.map((r) => ctx.storage.events.get(r)));
      const snapsBefore = await Promise.all(untouched.map((r) => ctx.storage.snapshots.get(r)));

      expect(await ctx.storage.events.deleteEdition("orders", "what-if")).toBe(3);
      expect(await ctx.storage.snapshots.deleteEdition("orders", "what-if")).toBe(2);

      // The edition falls back to the main history; its own pages and snapshots are gone.
      expect(texts(await ctx.storage.events.get(ed))).toEqual(["m0", "m1", "m2", "m3", "m4"]);
      expect(await ctx.storage.events.get(ed2)).toEqual([]);
      expect(await ctx.storage.events.listRoots("orders", "what-if")).toEqual([]);
      expect(await ctx.storage.snapshots.get(ed)).toBeUndefined();
      expect(await ctx.storage.snapshots.get(ed2)).toBeUndefined();
      expect(await ctx.storage.events.getByCorrelation(CORR.correlationId)).toHaveLength(3);

      // Main, the same edition in another domain and other editions are unaffected.
      expect(await Promise.all(untouched.map((r) => ctx.storage.events.get(r)))).toEqual(before);
      expect(await Promise.all(untouched.map((r) => ctx.storage.snapshots.get(r)))).toEqual(snapsBefore);
      expect(await ctx.storage.events.listDomains()).toEqual(["carts", "orders"]);

      // Deleting again finds nothing; the edition can be written afresh.
      expect(await ctx.storage.events.deleteEdition("orders", "what-if")).toBe(0);
      expect(await ctx.storage.snapshots.deleteEdition("orders", "what-if")).toBe(0);
      expect(nums(await ctx.storage.events.append(ed, numbered(5, "again"), CORR))).toEqual([5]);
    });
  });
}
