// Contract: the global, commit-ordered log behind catch-up subscriptions.
import { describe, expect, test } from "bun:test";
import { type ContractContext, forced, hex, numbered, ref, textOf, visibleLog } from "./fixtures";

export function defineGlobalLogContract(ctx: ContractContext): void {
  describe("global log", () => {
    test("an empty store has head 0 and nothing to read", async () => {
      expect(await ctx.storage.events.headPosition()).toBe(0n);
      expect(await ctx.storage.events.readAll(0n, 10)).toEqual([]);
    });

    test("every event gets a strictly increasing position from 1, in append order", async () => {
      const s = ctx.storage.events;
      await s.append(ref("orders", 1), numbered(0, "o1-0", "o1-1"), { correlationId: "c1" });
      await s.append(ref("carts", 2), forced("c2-0"), { correlationId: "c2" });
      await s.append(ref("orders", 1, "branch"), forced("b-2"), { correlationId: "c3" });
      await s.append(ref("orders", 1), numbered(2, "o1-2"), { correlationId: "c4" });

      const all = await visibleLog(ctx.storage, 0n, 5);
      expect(all.map((e) => textOf(e.page))).toEqual(["o1-0", "o1-1", "c2-0", "b-2", "o1-2"]);
      expect(all[0]?.position).toBe(1n);
      for (let i = 1; i < all.length; i++) {
        expect((all[i]?.position ?? 0n) > (all[i - 1]?.position ?? 0n)).toBe(true);
      }
      expect(await s.headPosition()).toBe(all.at(-1)?.position ?? -1n);

      const first = all[0];
      expect(first?.domain).toBe("orders");
      expect(first?.edition).toBe("");
      expect(hex(first?.root ?? new Uint8Array())).toBe(hex(ref("orders", 1).root));
      expect(first?.correlationId).toBe("c1");
      expect(first?.page.sequence).toEqual({ case: "num", value: 0 });
      expect(first?.page.createdAt).toBeDefined();
      expect(all[3]?.edition).toBe("branch");
      expect(all[3]?.page.sequence).toEqual({ case: "num", value: 2 });
      expect(all[4]?.correlationId).toBe("c4");
    });

    test("a page keeps the traceparent it was appended with; a page appended without has none", async () => {
      const s = ctx.storage.events;
      const traced = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
      const other = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";
      // Main timeline (the one-statement path of PostgreSQL), an edition, and untraced pages.
      await s.append(ref("orders", 1), numbered(0, "t0", "t1"), { correlationId: "c", traceparent: traced });
      await s.append(ref("orders", 1, "branch"), forced("b0"), { correlationId: "c", traceparent: other });
      await s.append(ref("orders", 1), numbered(2, "u2"), { correlationId: "c" });
      const all = await visibleLog(ctx.storage, 0n, 4);
      expect(all.map((e) => [textOf(e.page), e.traceparent])).toEqual([
        ["t0", traced],
        ["t1", traced],
        ["b0", other],
        ["u2", undefined],
      ]);
      expect(Object.hasOwn(all[3] ?? {}, "traceparent")).toBe(false);
    });

    test("readAll pages after a position, honours the limit and filters by domain and edition", async () => {
      const s = ctx.storage.events;
      await s.append(ref("orders", 1), numbered(0, "o0", "o1", "o2"), { correlationId: "c" });
      await s.append(ref("carts", 1), forced("c0", "c1"), { correlationId: "c" });
      await s.append(ref("orders", 2, "branch"), forced("b0"), { correlationId: "c" });
      const all = await visibleLog(ctx.storage, 0n, 6);
      expect(all).toHaveLength(6);

      const firstTwo = await s.readAll(0n, 2);
      expect(firstTwo.map((e) => textOf(e.page))).toEqual(["o0", "o1"]);
      const next = await s.readAll(firstTwo[1]?.position ?? 0n, 2);
      expect(next.map((e) => textOf(e.page))).toEqual(["o2", "c0"]);
      expect(await s.readAll(all.at(-1)?.position ?? 0n, 10)).toEqual([]);

      const carts = await s.readAll(0n, 100, { domain: "carts" });
      expect(carts.map((e) => textOf(e.page))).toEqual(["c0", "c1"]);
      const branch = await s.readAll(0n, 100, { edition: "branch" });
      expect(branch.map((e) => textOf(e.page))).toEqual(["b0"]);
      const mainOrders = await s.readAll(0n, 100, { domain: "orders", edition: "" });
      expect(mainOrders.map((e) => textOf(e.page))).toEqual(["o0", "o1", "o2"]);
      const limited = await s.readAll(0n, 1, { domain: "carts" });
      expect(limited.map((e) => textOf(e.page))).toEqual(["c0"]);
      const after = await s.readAll(limited[0]?.position ?? 0n, 10, { domain: "carts" });
      expect(after.map((e) => textOf(e.page))).toEqual(["c1"]);
    });

    test("a failed append leaves nothing in the log", async () => {
      const s = ctx.storage.events;
      await s.append(ref("orders", 1), numbered(0, "a"), { correlationId: "c" });
      await s.append(ref("orders", 1), numbered(5, "bad"), { correlationId: "c" }).catch(() => undefined);
      await s.append(ref("orders", 1), numbered(1, "b"), { correlationId: "c" });
      const all = await visibleLog(ctx.storage, 0n, 2);
      expect(all.map((e) => textOf(e.page))).toEqual(["a", "b"]);
      expect((all[1]?.position ?? 0n) > (all[0]?.position ?? 0n)).toBe(true);
    });
  });
}
