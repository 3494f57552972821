// Contract (persistent backends): everything written survives closing and reopening the store.
import { describe, expect, test } from "bun:test";
import { type ContractContext, hex, numbered, nums, payload, ref, root, texts, visibleLog } from "./fixtures";

export function definePersistenceContract(ctx: ContractContext): void {
  describe("persistence", () => {
    test("every store survives close and reopen", async () => {
      const reopen = ctx.fixture.reopen;
      if (reopen === undefined) throw new Error("a persistent backend must give reopen");
      const s = ctx.storage;
      const a = ref("orders", 1);
      const ed = ref("orders", 1, "branch");
      await s.events.append(a, numbered(0, "a", "b"), { correlationId: "c", snapshotState: payload("snap") });
      await s.events.append(ed, numbered(2, "e"), { correlationId: "c" });
      await s.positions.put("proj", "orders", "", 0n);
      const letter = await s.deadLetters.add({
        consumer: "proj",
        domain: "orders",
        edition: "",
        root: root(1),
        sequence: 1,
        correlationId: "c",
        reason: "boom",
        payloadType: "angzarr.EventBook",
        payload: new Uint8Array([1, 2]),
      });
      await s.causations.record(
        { component: "saga", domain: "orders", edition: "", root: root(1), sequence: 1 },
        new Uint8Array([7]),
      );
      await s.editions.create({
        name: "branch",
        description: "d",
        createdAt: new Date(1_000),
        divergence: { kind: "sequence", sequence: 2 },
      });
      await visibleLog(s, 0n, 3);
      const head = await s.events.headPosition();
      await s.close();

      const again = await reopen();
      try {
        expect(texts(await again.events.get(a))).toEqual(["a", "b"]);
        expect(texts(await again.events.get(ed))).toEqual(["a", "b", "e"]);
        expect((await again.snapshots.get(a))?.sequence).toBe(1);
        expect(await again.positions.get("proj", "orders", "")).toBe(0n);
        expect((await again.deadLetters.fetch(letter))?.reason).toBe("boom");
        const key = { component: "saga", domain: "orders", edition: "", root: root(1), sequence: 1 };
        expect(await again.causations.has(key)).toBe(true);
        expect(hex((await again.causations.outcome(key)) ?? new Uint8Array())).toBe("07");
        expect((await again.editions.get("branch"))?.divergence).toEqual({ kind: "sequence", sequence: 2 });
        expect(await again.events.headPosition()).toBe(head);
        // Numbering and positions continue where they were.
        expect(nums(await again.events.append(a, numbered(2, "c"), { correlationId: "c" }))).toEqual([2]);
        const log = await visibleLog(again, head, 1);
        expect(log).toHaveLength(1);
        expect((log[0]?.position ?? 0n) > head).toBe(true);
      } finally {
        await again.close();
      }
    });
  });
}
