// Contract: the optional encoded read (EventStore.getEncodedFrom) gives, byte for byte, what
// protobuf-es writes for the pages getFrom returns, on the main timeline and on editions, and
// fails the way getFrom fails. Backends without it skip these cases.
import { describe, expect, test } from "bun:test";
import { EventBookSchema, EventPageSchema, EventPages } from "@angzarr/proto";
import { create, toBinary } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { MAX_SEQUENCE } from "../errors";
import type { AggregateRef, EventStore } from "../types";
import { at, type ContractContext, numbered, payload, ref, root, thrown } from "./fixtures";

const CORR = { correlationId: "corr-enc" };

/** Compares getEncodedFrom(ref, from) with the encoding of getFrom(ref, from). */
async function same(events: EventStore, target: AggregateRef, from: number): Promise<void> {
  const read = events.getEncodedFrom?.bind(events);
  if (!read) return;
  const pages = await events.getFrom(target, from);
  const encoded = await read(target, from);
  expect(Buffer.from(encoded.bytes).toString("hex")).toBe(
    Buffer.from(toBinary(EventBookSchema, create(EventBookSchema, { pages }))).toString("hex"),
  );
  expect(encoded.count).toBe(pages.length);
  const last = pages.at(-1);
  expect(encoded.lastSequence).toBe(last === undefined ? undefined : EventPages.sequence(last));
}

export function defineEncodedReadContract(ctx: ContractContext): void {
  describe("encoded reads (optional getEncodedFrom, getEncodedHistory)", () => {
    test("equal protobuf-es's encoding of getFrom for every kind of page", async () => {
      const events = ctx.storage.events;
      const main = ref("orders", 1);
      const big = new Uint8Array(300).map((_, i) => i % 251);
      await events.append(
        main,
        [
          EventPages.numbered(0, payload("a"), at(0, 0)),
          EventPages.numbered(1, payload("b"), at(-62_135_596_800, 999_999_999)),
          EventPages.numbered(2, create(AnySchema, { typeUrl: "", value: new Uint8Array(0) }), at(1, 0)),
          EventPages.numbered(3, create(AnySchema, { typeUrl: "type.test/ünï.Cödé", value: big }), at(0, 7)),
          create(EventPageSchema, { sequence: { case: "num", value: 4 }, createdAt: at(253_402_300_799, 1) }),
          EventPages.numbered(5, create(AnySchema, { typeUrl: "type.test/test.Empty" })),
        ],
        CORR,
      );
      await events.append(main, numbered(6, ...Array.from({ length: 200 }, (_, i) => `p${i}`)), CORR);
      for (const from of [0, 1, 5, 6, 150, 206, 207, 10_000]) await same(events, main, from);
      await same(events, ref("orders", 99), 0);
    });

    test("editions: implicit, sequence and time divergence", async () => {
      const events = ctx.storage.events;
      const main = ref("orders", 2);
      await events.append(
        main,
        [10, 20, 30, 40, 50].map((s, i) => EventPages.numbered(i, payload(`m${i}`), at(s, 5))),
        CORR,
      );
      const implicit = ref("orders", 2, "what-if");
      await events.append(implicit, numbered(5, "e5", "e6"), CORR);
      const bySequence: AggregateRef = {
        ...ref("orders", 2, "seq"),
        divergence: { kind: "sequence", sequence: 2 },
      };
      await events.append(bySequence, numbered(2, "s2"), CORR);
      const byTime: AggregateRef = {
        ...ref("orders", 2, "time"),
        divergence: { kind: "time", time: at(30, 5) },
      };
      const empty: AggregateRef = {
        ...ref("orders", 2, "none"),
        divergence: { kind: "sequence", sequence: 0 },
      };
      for (const target of [
        implicit,
        bySequence,
        byTime,
        empty,
        { ...main, divergence: bySequence.divergence },
      ]) {
        for (const from of [0, 1, 2, 3, 6, 9]) await same(events, target, from as number);
      }
    });

    test("getEncodedHistory is the snapshot and the encoded pages after it", async () => {
      const events = ctx.storage.events;
      const history = events.getEncodedHistory?.bind(events);
      if (!history) return;
      const check = async (target: AggregateRef) => {
        const snapshot = await ctx.storage.snapshots.get(target);
        const got = await history(target);
        expect(got.snapshot?.sequence).toBe(snapshot?.sequence);
        expect(got.snapshot?.state?.typeUrl).toBe(snapshot?.state?.typeUrl);
        expect(got.snapshot?.state?.value).toEqual(snapshot?.state?.value);
        const after = await events.getFrom(target, snapshot ? snapshot.sequence + 1 : 0);
        expect(Buffer.from(got.pages.bytes).toString("hex")).toBe(
          Buffer.from(toBinary(EventBookSchema, create(EventBookSchema, { pages: after }))).toString("hex"),
        );
        expect(got.pages.count).toBe(after.length);
      };
      const main = ref("orders", 3);
      await check(main);
      await events.append(main, numbered(0, "a", "b"), CORR);
      await check(main);
      const state = create(AnySchema, { typeUrl: "type.test/test.State", value: new Uint8Array([1, 2]) });
      await events.append(main, numbered(2, "c"), { ...CORR, snapshotState: state });
      await events.append(main, numbered(3, "d", "e"), CORR);
      await check(main);
      const edition = ref("orders", 3, "hist");
      await events.append(edition, numbered(5, "x"), { ...CORR, snapshotState: state });
      await events.append(edition, numbered(6, "y"), CORR);
      await check(edition);
    });

    test("bad input fails as getFrom fails", async () => {
      const events = ctx.storage.events;
      const read = events.getEncodedFrom?.bind(events);
      if (!read) return;
      const bad: AggregateRef = { domain: "orders", edition: "", root: root(1).subarray(0, 15) };
      for (const [target, from] of [
        [bad, 0],
        [ref("orders", 1), -1],
        [ref("orders", 1), 1.5],
        [ref("orders", 1), MAX_SEQUENCE + 1],
      ] as const) {
        const expected = (await thrown(() => events.getFrom(target, from))) as Error;
        const actual = (await thrown(() => read(target, from))) as Error;
        expect(actual).toBeInstanceOf(expected.constructor as new () => Error);
        expect(actual.message).toBe(expected.message);
      }
    });
  });
}
