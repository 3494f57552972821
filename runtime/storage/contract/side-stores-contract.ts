// Contract: snapshots, consumer positions, dead letters, causations and the editions registry.

import { describe, expect, test } from "bun:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import {
  AlreadyExistsError,
  CausationRecordedError,
  InvalidInputError,
  NotFoundError,
  SequenceConflictError,
  UnknownEditionError,
} from "../errors";
import type { CausationKey, DeadLetterInput } from "../types";
import { at, type ContractContext, forced, hex, numbered, payload, ref, root, thrown } from "./fixtures";

function letter(overrides: Partial<DeadLetterInput> = {}): DeadLetterInput {
  return {
    consumer: "projector-a",
    domain: "orders",
    edition: "",
    root: root(1),
    sequence: 3,
    correlationId: "corr",
    reason: "handler failed: boom",
    payloadType: "angzarr.EventBook",
    payload: new Uint8Array([0, 9, 255, 1]),
    ...overrides,
  };
}

function causation(overrides: Partial<CausationKey> = {}): CausationKey {
  return { component: "saga-a", domain: "orders", edition: "", root: root(1), sequence: 2, ...overrides };
}

export function defineSideStoresContract(ctx: ContractContext): void {
  describe("snapshots", () => {
    test("get, put (replace) and delete", async () => {
      const a = ref("orders", 1);
      expect(await ctx.storage.snapshots.get(a)).toBeUndefined();
      const state = create(AnySchema, {
        typeUrl: "type.test/s.State",
        value: new Uint8Array([0, 1, 0, 255]),
      });
      await ctx.storage.snapshots.put(a, { sequence: 4, state });
      const got = await ctx.storage.snapshots.get(a);
      expect(got?.sequence).toBe(4);
      expect(hex(toBinary(AnySchema, got?.state ?? create(AnySchema)))).toBe(hex(toBinary(AnySchema, state)));
      await ctx.storage.snapshots.put(a, { sequence: 9, state: payload("newer") });
      const replaced = await ctx.storage.snapshots.get(a);
      expect(replaced?.sequence).toBe(9);
      expect(new TextDecoder().decode(replaced?.state.value)).toBe("newer");
      // Replace with a lower sequence too: put always wins.
      await ctx.storage.snapshots.put(a, { sequence: 0, state: payload("zero") });
      expect((await ctx.storage.snapshots.get(a))?.sequence).toBe(0);
      await ctx.storage.snapshots.delete(a);
      expect(await ctx.storage.snapshots.get(a)).toBeUndefined();
      await ctx.storage.snapshots.delete(a); // deleting nothing is fine
    });

    test("are isolated by domain, edition and root", async () => {
      const refs = [ref("orders", 1), ref("carts", 1), ref("orders", 1, "branch"), ref("orders", 2)];
      for (const [i, r] of refs.entries())
        await ctx.storage.snapshots.put(r, { sequence: i, state: payload(`s${i}`) });
      for (const [i, r] of refs.entries()) {
        const got = await ctx.storage.snapshots.get(r);
        expect(got?.sequence).toBe(i);
        expect(new TextDecoder().decode(got?.state.value)).toBe(`s${i}`);
      }
      await ctx.storage.snapshots.delete(refs[0] ?? ref("x", 0));
      expect(await ctx.storage.snapshots.get(refs[0] ?? ref("x", 0))).toBeUndefined();
      for (const r of refs.slice(1)) expect(await ctx.storage.snapshots.get(r)).toBeDefined();
      expect(await ctx.storage.snapshots.deleteEdition("orders", "branch")).toBe(1);
      expect(await ctx.storage.snapshots.get(refs[2] ?? ref("x", 0))).toBeUndefined();
      expect(await ctx.storage.snapshots.get(refs[1] ?? ref("x", 0))).toBeDefined();
      expect(await ctx.storage.snapshots.get(refs[3] ?? ref("x", 0))).toBeDefined();
    });

    test("an append with snapshotState stores it at the last appended page's sequence", async () => {
      const a = ref("orders", 1);
      await ctx.storage.events.append(a, numbered(0, "a", "b"), {
        correlationId: "c",
        snapshotState: payload("s1"),
      });
      expect((await ctx.storage.snapshots.get(a))?.sequence).toBe(1);
      await ctx.storage.events.append(a, forced("c", "d", "e"), {
        correlationId: "c",
        snapshotState: payload("s4"),
      });
      const snap = await ctx.storage.snapshots.get(a);
      expect(snap?.sequence).toBe(4);
      expect(new TextDecoder().decode(snap?.state.value)).toBe("s4");
      // Without snapshotState the snapshot stays as it was.
      await ctx.storage.events.append(a, forced("f"), { correlationId: "c" });
      expect((await ctx.storage.snapshots.get(a))?.sequence).toBe(4);
      // On an edition it lands on the edition's aggregate only.
      const ed = ref("orders", 1, "branch");
      await ctx.storage.events.append(ed, forced("g"), { correlationId: "c", snapshotState: payload("ed") });
      expect((await ctx.storage.snapshots.get(ed))?.sequence).toBe(6);
      expect((await ctx.storage.snapshots.get(a))?.sequence).toBe(4);
    });
  });

  describe("positions", () => {
    test("upsert, zero is a value, reset removes, isolated by consumer, domain and edition", async () => {
      const p = ctx.storage.positions;
      expect(await p.get("proj", "orders", "")).toBeUndefined();
      await p.put("proj", "orders", "", 0n);
      expect(await p.get("proj", "orders", "")).toBe(0n);
      await p.put("proj", "orders", "", 42n);
      expect(await p.get("proj", "orders", "")).toBe(42n);
      const big = 2n ** 53n + 1n;
      await p.put("proj", "orders", "", big);
      expect(await p.get("proj", "orders", "")).toBe(big);
      expect(await p.get("other", "orders", "")).toBeUndefined();
      expect(await p.get("proj", "carts", "")).toBeUndefined();
      expect(await p.get("proj", "orders", "branch")).toBeUndefined();
      await p.put("proj", "orders", "branch", 7n);
      await p.put("other", "orders", "", 8n);
      await p.put("proj", "carts", "", 9n);
      expect(await p.get("proj", "orders", "")).toBe(big);
      expect(await p.get("proj", "orders", "branch")).toBe(7n);
      await p.reset("proj", "orders", "");
      expect(await p.get("proj", "orders", "")).toBeUndefined();
      expect(await p.get("proj", "orders", "branch")).toBe(7n);
      expect(await p.get("other", "orders", "")).toBe(8n);
      expect(await p.get("proj", "carts", "")).toBe(9n);
      await p.put("proj", "orders", "", 0n);
      expect(await p.get("proj", "orders", "")).toBe(0n);
    });

    test("deleteEdition removes every checkpoint of that edition only; main is refused", async () => {
      const p = ctx.storage.positions;
      await p.put("proj", "orders", "branch", 7n);
      await p.put("saga", "carts", "branch", 8n);
      await p.put("proj", "orders", "other", 9n);
      await p.put("proj", "orders", "", 10n);
      expect(await p.deleteEdition("branch")).toBe(2);
      expect(await p.get("proj", "orders", "branch")).toBeUndefined();
      expect(await p.get("saga", "carts", "branch")).toBeUndefined();
      expect(await p.get("proj", "orders", "other")).toBe(9n);
      expect(await p.get("proj", "orders", "")).toBe(10n);
      expect(await thrown(() => p.deleteEdition(""))).toBeInstanceOf(InvalidInputError);
      expect(await thrown(() => p.deleteEdition("angzarr"))).toBeInstanceOf(InvalidInputError);
      expect(await p.get("proj", "orders", "")).toBe(10n);
    });
  });

  describe("dead letters", () => {
    test("add, fetch, list, markReplayed", async () => {
      const d = ctx.storage.deadLetters;
      const before = Date.now() - 5000;
      const first = await d.add(letter());
      const second = await d.add(
        letter({ consumer: "saga-b", escalated: true, edition: "branch", sequence: 0 }),
      );
      const third = await d.add(letter({ reason: "third" }));
      expect(second).toBeGreaterThan(first);
      expect(third).toBeGreaterThan(second);

      const fetched = await d.fetch(first);
      expect(fetched?.id).toBe(first);
      expect(fetched?.consumer).toBe("projector-a");
      expect(fetched?.domain).toBe("orders");
      expect(fetched?.edition).toBe("");
      expect(hex(fetched?.root ?? new Uint8Array())).toBe(hex(root(1)));
      expect(fetched?.sequence).toBe(3);
      expect(fetched?.correlationId).toBe("corr");
      expect(fetched?.reason).toBe("handler failed: boom");
      expect(fetched?.payloadType).toBe("angzarr.EventBook");
      expect(hex(fetched?.payload ?? new Uint8Array())).toBe("0009ff01");
      expect(fetched?.escalated).toBe(false);
      expect(fetched?.createdAt).toBeInstanceOf(Date);
      expect((fetched?.createdAt.getTime() ?? 0) >= before).toBe(true);
      expect((fetched?.createdAt.getTime() ?? 0) <= Date.now() + 5000).toBe(true);
      expect(fetched?.replayedAt).toBeUndefined();
      const escalated = await d.fetch(second);
      expect(escalated?.escalated).toBe(true);
      expect(escalated?.edition).toBe("branch");
      expect(escalated?.sequence).toBe(0);
      expect(await d.fetch(third + 1000)).toBeUndefined();

      expect((await d.list()).map((e) => e.id)).toEqual([first, second, third]);
      expect((await d.list({ consumer: "saga-b" })).map((e) => e.id)).toEqual([second]);

      await d.markReplayed(first);
      expect((await d.fetch(first))?.replayedAt).toBeInstanceOf(Date);
      expect((await d.list()).map((e) => e.id)).toEqual([second, third]);
      expect((await d.list({ includeReplayed: true })).map((e) => e.id)).toEqual([first, second, third]);
      expect((await d.list({ includeReplayed: true, consumer: "projector-a" })).map((e) => e.id)).toEqual([
        first,
        third,
      ]);
    });

    test("a key keeps one open entry: added again it returns that entry; once replayed a new one opens", async () => {
      const first = await ctx.storage.deadLetters.add(letter({ key: "pmg-a/orders/1/3" }));
      expect(await ctx.storage.deadLetters.add(letter({ key: "pmg-a/orders/1/3", reason: "again" }))).toBe(
        first,
      );
      const other = await ctx.storage.deadLetters.add(letter({ key: "pmg-a/orders/1/4" }));
      const plain = await ctx.storage.deadLetters.add(letter());
      const plainAgain = await ctx.storage.deadLetters.add(letter());
      expect(new Set([first, other, plain, plainAgain]).size).toBe(4);
      const listed = await ctx.storage.deadLetters.list();
      expect(listed.map((l) => l.key ?? null)).toEqual(["pmg-a/orders/1/3", "pmg-a/orders/1/4", null, null]);
      expect(listed[0]?.reason).toBe("handler failed: boom");
      await ctx.storage.deadLetters.markReplayed(first);
      const reopened = await ctx.storage.deadLetters.add(letter({ key: "pmg-a/orders/1/3" }));
      expect(reopened).not.toBe(first);
      expect((await ctx.storage.deadLetters.fetch(reopened))?.key).toBe("pmg-a/orders/1/3");
      expect(await ctx.storage.deadLetters.list({ includeReplayed: true })).toHaveLength(5);
    });

    test("remove deletes one entry for good; an unknown id is a NotFoundError", async () => {
      const d = ctx.storage.deadLetters;
      const input = {
        consumer: "saga-a",
        domain: "order",
        edition: "",
        root: root(2),
        sequence: 1,
        correlationId: "corr",
        reason: "refused",
        payloadType: "angzarr.CommandBook",
        payload: new Uint8Array([1]),
      };
      const kept = await d.add(input);
      const gone = await d.add({ ...input, sequence: 2 });
      await d.remove(gone);
      expect(await d.fetch(gone)).toBeUndefined();
      expect((await d.list({ includeReplayed: true })).map((e) => e.id)).toEqual([kept]);
      const err = await thrown(() => d.remove(gone));
      expect(err).toBeInstanceOf(NotFoundError);
      expect((await d.list()).map((e) => e.id)).toEqual([kept]);
    });

    test("markReplayed of an unknown id is a NotFoundError", async () => {
      const err = await thrown(() => ctx.storage.deadLetters.markReplayed(987_654));
      expect(err).toBeInstanceOf(NotFoundError);
      expect((err as NotFoundError).kind).toBe("not_found");
      expect(await ctx.storage.deadLetters.list({ includeReplayed: true })).toEqual([]);
    });
  });

  describe("causations", () => {
    test("record once, has, outcome", async () => {
      const c = ctx.storage.causations;
      const key = causation();
      expect(await c.has(key)).toBe(false);
      expect(await c.outcome(key)).toBeUndefined();
      expect(await c.record(key, new Uint8Array([1, 0, 2]))).toBe(true);
      expect(await c.has(key)).toBe(true);
      expect(hex((await c.outcome(key)) ?? new Uint8Array([0xee]))).toBe("010002");
      // A second record reports false and changes nothing.
      expect(await c.record(key, new Uint8Array([9]))).toBe(false);
      expect(hex((await c.outcome(key)) ?? new Uint8Array([0xee]))).toBe("010002");
      // Without an outcome.
      const bare = causation({ sequence: 3 });
      expect(await c.record(bare)).toBe(true);
      expect(await c.has(bare)).toBe(true);
      expect(await c.outcome(bare)).toBeUndefined();
      expect(await c.record(bare)).toBe(false);
    });

    test("an append carrying a causation records it atomically: a repeat writes nothing", async () => {
      const c = ctx.storage.causations;
      const target = ref("inventory", 7);
      const key = causation({ component: "saga-a#command-0", sequence: 5 });
      const first = await ctx.storage.events.append(target, forced("reserve"), {
        correlationId: "c",
        causation: key,
      });
      expect(first).toHaveLength(1);
      expect(await c.has(key)).toBe(true);
      const again = await thrown(() =>
        ctx.storage.events.append(target, forced("reserve"), { correlationId: "c", causation: key }),
      );
      expect(again).toBeInstanceOf(CausationRecordedError);
      expect((again as CausationRecordedError).kind).toBe("already_exists");
      expect(await ctx.storage.events.get(target)).toHaveLength(1);
      // A failed append (sequence conflict) leaves no causation behind.
      const other = causation({ component: "saga-b#command-0", sequence: 6 });
      const conflict = await thrown(() =>
        ctx.storage.events.append(target, numbered(0, "stale"), { correlationId: "c", causation: other }),
      );
      expect(conflict).toBeInstanceOf(SequenceConflictError);
      expect(await c.has(other)).toBe(false);
    });

    test("are isolated by every key field", async () => {
      const c = ctx.storage.causations;
      await c.record(causation());
      for (const other of [
        causation({ component: "saga-b" }),
        causation({ domain: "carts" }),
        causation({ edition: "branch" }),
        causation({ root: root(2) }),
        causation({ sequence: 0 }),
      ]) {
        expect(await c.has(other)).toBe(false);
        expect(await c.record(other)).toBe(true);
      }
      expect(await c.has(causation())).toBe(true);
    });

    test("deleteEdition forgets the records of sources on that edition only; main is refused", async () => {
      const c = ctx.storage.causations;
      await c.record(causation({ edition: "branch" }));
      await c.record(causation({ edition: "branch", sequence: 9 }), new Uint8Array([1]));
      await c.record(causation({ edition: "other" }));
      await c.record(causation());
      expect(await c.deleteEdition("branch")).toBe(2);
      expect(await c.has(causation({ edition: "branch" }))).toBe(false);
      expect(await c.has(causation({ edition: "branch", sequence: 9 }))).toBe(false);
      expect(await c.has(causation({ edition: "other" }))).toBe(true);
      expect(await c.has(causation())).toBe(true);
      // Recorded again from scratch.
      expect(await c.record(causation({ edition: "branch" }))).toBe(true);
      expect(await thrown(() => c.deleteEdition(""))).toBeInstanceOf(InvalidInputError);
    });
  });

  describe("editions registry", () => {
    test("create, get, list, delete", async () => {
      const e = ctx.storage.editions;
      expect(await e.list()).toEqual([]);
      expect(await e.get("what-if")).toBeUndefined();
      const createdAt = new Date("2024-05-06T07:08:09.123Z");
      await e.create({ name: "what-if", description: "a branch", createdAt });
      await e.create({
        name: "by-seq",
        description: "",
        createdAt,
        divergence: { kind: "sequence", sequence: 7 },
      });
      await e.create({
        name: "by-time",
        description: "t",
        createdAt,
        divergence: { kind: "time", time: at(1_700_000_000, 5) },
      });

      const got = await e.get("what-if");
      expect(got?.name).toBe("what-if");
      expect(got?.description).toBe("a branch");
      expect(got?.createdAt.getTime()).toBe(createdAt.getTime());
      expect(got?.divergence).toBeUndefined();
      expect((await e.get("by-seq"))?.divergence).toEqual({ kind: "sequence", sequence: 7 });
      const byTime = (await e.get("by-time"))?.divergence;
      expect(byTime?.kind).toBe("time");
      if (byTime?.kind === "time") {
        expect(byTime.time.seconds).toBe(1_700_000_000n);
        expect(byTime.time.nanos).toBe(5);
      }

      const names = (await e.list()).map((r) => r.name).sort();
      expect(names).toEqual(["by-seq", "by-time", "what-if"]);
      expect((await e.get("by-seq"))?.domainDivergences).toBeUndefined();

      await e.delete("what-if");
      expect(await e.get("what-if")).toBeUndefined();
      expect((await e.list()).map((r) => r.name).sort()).toEqual(["by-seq", "by-time"]);
      // The name is free again.
      await e.create({ name: "what-if", description: "again", createdAt });
      expect((await e.get("what-if"))?.description).toBe("again");
    });

    test("per-domain branch points round-trip, by sequence and by time", async () => {
      const e = ctx.storage.editions;
      await e.create({
        name: "per-domain",
        description: "",
        createdAt: new Date(),
        divergence: { kind: "sequence", sequence: 3 },
        domainDivergences: [
          { domain: "carts", divergence: { kind: "time", time: at(1_700_000_123, 42) } },
          { domain: "orders", divergence: { kind: "sequence", sequence: 0 } },
        ],
      });
      const got = await e.get("per-domain");
      expect(got?.divergence).toEqual({ kind: "sequence", sequence: 3 });
      const domains = got?.domainDivergences ?? [];
      expect(domains.map((d) => d.domain)).toEqual(["carts", "orders"]);
      const carts = domains[0]?.divergence;
      expect(carts?.kind === "time" ? [carts.time.seconds, carts.time.nanos] : carts).toEqual([
        1_700_000_123n,
        42,
      ]);
      expect(domains[1]?.divergence).toEqual({ kind: "sequence", sequence: 0 });
      expect((await e.list()).find((r) => r.name === "per-domain")?.domainDivergences).toEqual(domains);
    });

    test("a duplicate is an AlreadyExistsError and keeps the original", async () => {
      const e = ctx.storage.editions;
      const createdAt = new Date();
      await e.create({ name: "what-if", description: "first", createdAt });
      const err = await thrown(() => e.create({ name: "what-if", description: "second", createdAt }));
      expect(err).toBeInstanceOf(AlreadyExistsError);
      expect((err as AlreadyExistsError).kind).toBe("already_exists");
      expect((await e.get("what-if"))?.description).toBe("first");
      expect(await e.list()).toHaveLength(1);
    });

    test("the main timeline cannot be registered", async () => {
      const err = await thrown(() =>
        ctx.storage.editions.create({ name: "", description: "", createdAt: new Date() }),
      );
      expect(err).toBeInstanceOf(InvalidInputError);
      expect((err as InvalidInputError).kind).toBe("invalid");
      expect(await ctx.storage.editions.list()).toEqual([]);
    });

    test("deleting an unknown edition is an UnknownEditionError", async () => {
      const err = await thrown(() => ctx.storage.editions.delete("nope"));
      expect(err).toBeInstanceOf(UnknownEditionError);
      expect(err).toBeInstanceOf(NotFoundError);
      expect((err as UnknownEditionError).kind).toBe("not_found");
      expect((err as UnknownEditionError).edition).toBe("nope");
    });

    test("the registry is independent of stored events", async () => {
      await ctx.storage.events.append(ref("orders", 1, "unregistered"), forced("x"), { correlationId: "c" });
      expect(await ctx.storage.editions.list()).toEqual([]);
    });
  });
}
