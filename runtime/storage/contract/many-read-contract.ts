// Contract: the optional batched read (EventStore.getMany) answers, for each ref in order, what
// get answers: main-timeline and edition aggregates, missing ones, the same ref twice, more refs
// than one batch. Backends without it skip these cases, unless they declare it (batchedReads).
import { describe, expect, test } from "bun:test";
import type { AggregateRef } from "../types";
import { type ContractContext, numbered, ref, texts } from "./fixtures";

export function defineManyReadContract(ctx: ContractContext, options: { required: boolean }): void {
  describe("batched reads (optional getMany)", () => {
    test("equal get for each ref, in order", async () => {
      const events = ctx.storage.events;
      const getMany = events.getMany?.bind(events);
      if (options.required) expect(getMany).toBeFunction();
      if (!getMany) return;
      const CORR = { correlationId: "corr-many" };
      const refs: AggregateRef[] = [];
      for (let n = 1; n <= 300; n++) {
        const r = ref(n % 2 === 0 ? "stock" : "orders", n);
        const count = n % 3 === 0 ? 0 : (n % 4) + 1;
        if (count > 0)
          await events.append(r, numbered(0, ...Array.from({ length: count }, (_, i) => `${n}-${i}`)), CORR);
        refs.push(r);
      }
      const edition = ref("stock", 2, "what-if");
      await events.append(edition, numbered(await events.nextSequence(edition), "edition page"), CORR);
      refs.push(ref("stock", 2, "what-if"), ref("orders", 999), ref("stock", 4), refs[0] as AggregateRef);
      const many = await getMany(refs);
      expect(many).toHaveLength(refs.length);
      for (let i = 0; i < refs.length; i++) {
        expect(texts(many[i] ?? [])).toEqual(texts(await events.get(refs[i] as AggregateRef)));
      }
      expect(await getMany([])).toEqual([]);
    });
  });
}
