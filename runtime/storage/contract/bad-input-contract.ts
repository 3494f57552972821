// Contract: malformed input is refused with a typed error and leaves the store unchanged.
import { describe, expect, test } from "bun:test";
import { InvalidInputError, MAX_SEQUENCE } from "../errors";
import type { AggregateRef } from "../types";
import { at, type ContractContext, eventSnapshot, numbered, payload, ref, root, thrown } from "./fixtures";

const CORR = { correlationId: "bad" };

async function expectInvalid(call: () => Promise<unknown>): Promise<void> {
  const err = await thrown(call);
  expect(err).toBeInstanceOf(InvalidInputError);
  expect((err as InvalidInputError).kind).toBe("invalid");
}

export function defineBadInputContract(ctx: ContractContext): void {
  describe("bad input", () => {
    /** orders/1 with pages 0..1 and a snapshot, plus the ref shapes the checks look at. */
    async function seed(): Promise<{ good: AggregateRef; check: () => Promise<void> }> {
      const good = ref("orders", 1);
      await ctx.storage.events.append(good, numbered(0, "a", "b"), CORR);
      await ctx.storage.snapshots.put(good, { sequence: 1, state: payload("s") });
      const before = await eventSnapshot(ctx.storage, [good]);
      return { good, check: async () => expect(await eventSnapshot(ctx.storage, [good])).toBe(before) };
    }

    test("a root of 15 or 17 bytes is an InvalidInputError everywhere", async () => {
      const { check } = await seed();
      for (const badRoot of [root(1).slice(0, 15), new Uint8Array([...root(1), 0]), new Uint8Array(0)]) {
        const bad: AggregateRef = { domain: "orders", edition: "", root: badRoot };
        const s = ctx.storage;
        await expectInvalid(() => s.events.append(bad, numbered(0, "x"), CORR));
        await expectInvalid(() => s.events.get(bad));
        await expectInvalid(() => s.events.getFrom(bad, 0));
        await expectInvalid(() => s.events.getRange(bad, 0, 1));
        await expectInvalid(() => s.events.getUntil(bad, at(100)));
        await expectInvalid(() => s.events.nextSequence(bad));
        await expectInvalid(() => s.snapshots.put(bad, { sequence: 0, state: payload("s") }));
        await expectInvalid(() => s.snapshots.get(bad));
        const key = { component: "c", domain: "orders", edition: "", root: bad.root, sequence: 0 };
        await expectInvalid(() => s.causations.record(key));
        expect(await s.causations.has({ ...key, root: root(1) })).toBe(false);
        await check();
      }
    });

    test("a negative, fractional or overflowing page sequence is an InvalidInputError, not a conflict", async () => {
      const { good, check } = await seed();
      for (const num of [-1, 2.5, MAX_SEQUENCE + 1, 2 ** 40]) {
        await expectInvalid(() => ctx.storage.events.append(good, numbered(num, "x"), CORR));
        await check();
      }
      // A bad number further down the batch rejects the whole batch.
      await expectInvalid(() =>
        ctx.storage.events.append(good, [...numbered(2, "ok"), ...numbered(-5, "bad")], {
          ...CORR,
          snapshotState: payload("never"),
        }),
      );
      await check();
      // The upper bound itself is a valid number (it merely conflicts here).
      const err = await thrown(() => ctx.storage.events.append(good, numbered(MAX_SEQUENCE, "x"), CORR));
      expect(err).not.toBeInstanceOf(InvalidInputError);
      await check();
    });

    test("negative or overflowing read bounds are InvalidInputErrors", async () => {
      const { good, check } = await seed();
      await expectInvalid(() => ctx.storage.events.getFrom(good, -1));
      await expectInvalid(() => ctx.storage.events.getFrom(good, MAX_SEQUENCE + 1));
      await expectInvalid(() => ctx.storage.events.getRange(good, -1, 3));
      await expectInvalid(() => ctx.storage.events.getRange(good, 0, MAX_SEQUENCE + 1));
      await expectInvalid(() => ctx.storage.events.getRange(good, 0.5, 3));
      expect((await ctx.storage.events.getRange(good, 0, MAX_SEQUENCE)).length).toBe(2);
      await check();
    });

    test("a negative snapshot sequence is an InvalidInputError", async () => {
      const { good, check } = await seed();
      await expectInvalid(() => ctx.storage.snapshots.put(good, { sequence: -1, state: payload("x") }));
      await expectInvalid(() =>
        ctx.storage.snapshots.put(good, { sequence: MAX_SEQUENCE + 1, state: payload("x") }),
      );
      await check();
    });

    test("deleting the main timeline is an InvalidInputError", async () => {
      const { check } = await seed();
      await expectInvalid(() => ctx.storage.events.deleteEdition("orders", ""));
      await check();
    });
  });
}
