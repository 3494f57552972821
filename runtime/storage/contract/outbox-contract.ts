// Contract: the outbox of sagas and process managers. One write is atomic across causations,
// events, outbox entries and dead letters; its guards make a repeated write a no-op.
import { describe, expect, test } from "bun:test";
import type { EventPage } from "@angzarr/proto";
import { InvalidInputError } from "../errors";
import type { CausationKey, OutboxInput, OutboxWrite, OutboxWriteResult, Storage } from "../types";
import {
  type ContractContext,
  forced,
  hex,
  numbered,
  nums,
  ref,
  root,
  texts,
  thrown,
  visibleLog,
} from "./fixtures";

function cause(sequence: number, component = "pmg-a"): CausationKey {
  return { component, domain: "orders", edition: "", root: root(1), sequence };
}

function entry(c: CausationKey, name: string, lane = "lane-1", text = name): OutboxInput {
  return { cause: c, name, lane, kind: "command", payload: new TextEncoder().encode(text) };
}

function payloadText(bytes: Uint8Array | undefined): string {
  return new TextDecoder().decode(bytes ?? new Uint8Array());
}

async function one(storage: Storage, w: OutboxWrite): Promise<OutboxWriteResult> {
  const [result] = await storage.outbox.write([w]);
  if (result === undefined) throw new Error("no result");
  return result;
}

function written(result: OutboxWriteResult | undefined) {
  if (result?.kind !== "written") throw new Error(`expected written, got ${JSON.stringify(result)}`);
  return result;
}

const letter = {
  consumer: "pmg-a",
  domain: "orders",
  edition: "",
  root: root(1),
  sequence: 3,
  correlationId: "corr",
  reason: "parked after 5 attempts",
  payloadType: "angzarr.CommandBook",
  payload: new Uint8Array([1, 2, 3]),
};

export function defineOutboxContract(ctx: ContractContext): void {
  describe("outbox", () => {
    test("an entry keeps the trace context it was written with (none when untraced)", async () => {
      const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
      const c = cause(40, "saga-trace");
      const result = written(
        await one(ctx.storage, {
          causations: [c],
          enqueue: [{ ...entry(c, "traced", "lane-trace"), traceparent }, entry(c, "untraced", "lane-trace")],
        }),
      );
      expect(result.enqueued.map((e) => e.traceparent)).toEqual([traceparent, undefined]);
      const pending = await ctx.storage.outbox.pending({ lane: "lane-trace", limit: 10 });
      expect(pending.map((e) => e.traceparent)).toEqual([traceparent, undefined]);
      const [first] = result.enqueued;
      expect((await ctx.storage.outbox.get(first?.id ?? 0))?.traceparent).toBe(traceparent);
    });

    test("a reaction's causation, events and entries are written together; a repeat writes nothing", async () => {
      const pm = ref("pm", 1);
      const w: OutboxWrite = {
        causations: [cause(3)],
        appends: [{ ref: pm, pages: numbered(0, "tracked", "dispatched"), correlationId: "corr" }],
        enqueue: [entry(cause(3), "command-0"), entry(cause(3), "command-1")],
      };
      const result = written(await one(ctx.storage, w));
      expect(result.stored.map(nums)).toEqual([[0, 1]]);
      expect(result.enqueued.map((e) => e.name)).toEqual(["command-0", "command-1"]);
      expect(result.enqueued.every((e) => e.status === "pending" && e.attempts === 0)).toBe(true);
      expect(texts(await ctx.storage.events.get(pm))).toEqual(["tracked", "dispatched"]);
      expect(await ctx.storage.causations.has(cause(3))).toBe(true);

      // The same reaction again (a re-delivery, a racing consumer): nothing changes.
      const again = await one(ctx.storage, {
        ...w,
        appends: [{ ref: pm, pages: forced("again"), correlationId: "corr" }],
      });
      expect(again.kind).toBe("duplicate");
      expect(texts(await ctx.storage.events.get(pm))).toEqual(["tracked", "dispatched"]);
      expect(await ctx.storage.outbox.pending({ limit: 10 })).toHaveLength(2);
    });

    test("a sequence conflict in an append writes nothing at all", async () => {
      const pm = ref("pm", 1);
      await ctx.storage.events.append(pm, numbered(0, "first"), { correlationId: "corr" });
      const result = await one(ctx.storage, {
        causations: [cause(4)],
        appends: [{ ref: pm, pages: numbered(0, "stale"), correlationId: "corr" }],
        enqueue: [entry(cause(4), "command-0")],
        deadLetter: letter,
      });
      expect(result).toEqual({ kind: "conflict", expected: 1, actual: 0 });
      expect(texts(await ctx.storage.events.get(pm))).toEqual(["first"]);
      expect(await ctx.storage.causations.has(cause(4))).toBe(false);
      expect(await ctx.storage.outbox.pending({ limit: 10 })).toEqual([]);
      expect(await ctx.storage.deadLetters.list()).toEqual([]);
    });

    test("the outcome is computed from the stored pages and kept with the last causation", async () => {
      const facts = ref("stock", 2);
      await ctx.storage.events.append(facts, numbered(0, "existing"), { correlationId: "x" });
      let seen: EventPage[][] = [];
      written(
        await one(ctx.storage, {
          causations: [cause(1), cause(2)],
          outcome: (stored) => {
            seen = stored;
            return new TextEncoder().encode(stored.map((s) => nums(s).join("+")).join("|"));
          },
          appends: [
            { ref: facts, pages: forced("f1", "f2"), correlationId: "corr" },
            { ref: ref("pm", 1), pages: numbered(0, "p"), correlationId: "corr" },
          ],
        }),
      );
      expect(seen.map(nums)).toEqual([[1, 2], [0]]);
      expect(seen[0]?.every((p) => p.createdAt !== undefined)).toBe(true);
      expect(await ctx.storage.causations.has(cause(1))).toBe(true);
      expect(payloadText(await ctx.storage.causations.outcome(cause(2)))).toBe("1+2|0");
    });

    test("any causation already recorded makes the write a duplicate", async () => {
      await ctx.storage.causations.record(cause(2));
      const result = await one(ctx.storage, {
        causations: [cause(1), cause(2)],
        enqueue: [entry(cause(2), "command-0")],
      });
      expect(result.kind).toBe("duplicate");
      expect(await ctx.storage.causations.has(cause(1))).toBe(false);
      expect(await ctx.storage.outbox.pending({ limit: 10 })).toEqual([]);
    });

    test("an entry is settled once, with its follow-ups and dead letter in the same write", async () => {
      const [e] = written(
        await one(ctx.storage, { causations: [cause(1)], enqueue: [entry(cause(1), "command-0")] }),
      ).enqueued;
      if (!e) throw new Error("no entry");
      const failure = ref("angzarr.saga-failures", 1);
      const settled = written(
        await one(ctx.storage, {
          settle: { id: e.id, status: "rejected" },
          outcome: (stored) => new Uint8Array([9, stored[0]?.length ?? 0]),
          enqueue: [entry(cause(1), "command-0#compensation")],
          appends: [{ ref: failure, pages: forced("failed"), correlationId: "corr" }],
          deadLetter: letter,
        }),
      );
      expect(settled.enqueued.map((x) => x.name)).toEqual(["command-0#compensation"]);
      const after = await ctx.storage.outbox.get(e.id);
      expect(after?.status).toBe("rejected");
      expect(hex(after?.result ?? new Uint8Array())).toBe("0901");
      expect(texts(await ctx.storage.events.get(failure))).toEqual(["failed"]);
      expect((await ctx.storage.deadLetters.list()).map((d) => d.reason)).toEqual([letter.reason]);

      // Settling it again (a crash before the dispatcher saw the answer): nothing more.
      const again = await one(ctx.storage, {
        settle: { id: e.id, status: "delivered" },
        enqueue: [entry(cause(1), "command-0#other")],
        deadLetter: letter,
      });
      expect(again.kind).toBe("duplicate");
      expect((await ctx.storage.outbox.get(e.id))?.status).toBe("rejected");
      expect(await ctx.storage.deadLetters.list()).toHaveLength(1);
      expect((await ctx.storage.outbox.byCause(cause(1))).map((x) => x.name)).toEqual([
        "command-0",
        "command-0#compensation",
      ]);
    });

    test("pending entries come in id order, per lane; failed attempts are counted", async () => {
      const r = written(
        await one(ctx.storage, {
          causations: [cause(1)],
          enqueue: [
            entry(cause(1), "command-0", "lane-a"),
            entry(cause(1), "command-1", "lane-b"),
            entry(cause(1), "command-2", "lane-a"),
          ],
        }),
      );
      const ids = r.enqueued.map((e) => e.id);
      expect(ids[0]! < ids[1]! && ids[1]! < ids[2]!).toBe(true);
      expect((await ctx.storage.outbox.pending({ limit: 10 })).map((e) => e.name)).toEqual([
        "command-0",
        "command-1",
        "command-2",
      ]);
      expect((await ctx.storage.outbox.pending({ limit: 10, lane: "lane-a" })).map((e) => e.name)).toEqual([
        "command-0",
        "command-2",
      ]);
      expect(await ctx.storage.outbox.pending({ limit: 1 })).toHaveLength(1);
      expect((await ctx.storage.outbox.pending({ limit: 10, afterId: ids[0]! })).map((e) => e.name)).toEqual([
        "command-1",
        "command-2",
      ]);
      expect(
        (await ctx.storage.outbox.pending({ limit: 10, lane: "lane-a", afterId: ids[0]! })).map(
          (e) => e.name,
        ),
      ).toEqual(["command-2"]);

      await ctx.storage.outbox.retryLater(ids[0]!, 123_456, "UNAVAILABLE: restarting");
      await ctx.storage.outbox.retryLater(ids[0]!, 223_456, "UNAVAILABLE: still restarting");
      const tried = await ctx.storage.outbox.get(ids[0]!);
      expect(tried?.attempts).toBe(2);
      expect(tried?.dueAt).toBe(223_456);
      expect(tried?.lastError).toBe("UNAVAILABLE: still restarting");
      expect(payloadText(tried?.payload)).toBe("command-0");
      expect(tried?.cause).toEqual(cause(1));
      expect(tried?.kind).toBe("command");

      written(await one(ctx.storage, { settle: { id: ids[0]!, status: "delivered" } }));
      await ctx.storage.outbox.retryLater(ids[0]!, 1, "late"); // settled: no effect
      expect((await ctx.storage.outbox.get(ids[0]!))?.attempts).toBe(2);
      expect((await ctx.storage.outbox.pending({ limit: 10, lane: "lane-a" })).map((e) => e.name)).toEqual([
        "command-2",
      ]);
      expect(await ctx.storage.outbox.get(999_999)).toBeUndefined();
    });

    test("an entry name is unique per cause: enqueuing it again is a duplicate", async () => {
      written(await one(ctx.storage, { enqueue: [entry(cause(1), "command-0")] }));
      expect((await one(ctx.storage, { enqueue: [entry(cause(1), "command-0", "lane-x")] })).kind).toBe(
        "duplicate",
      );
      written(await one(ctx.storage, { enqueue: [entry(cause(2), "command-0")] }));
      expect(await ctx.storage.outbox.pending({ limit: 10 })).toHaveLength(2);
    });

    test("a batch: each write stands alone, applied in order, one commit", async () => {
      const pm = ref("pm", 1);
      await ctx.storage.causations.record(cause(9));
      const results = await ctx.storage.outbox.write([
        { causations: [cause(1)], appends: [{ ref: pm, pages: numbered(0, "a"), correlationId: "c" }] },
        { causations: [cause(9)], enqueue: [entry(cause(9), "command-0")] },
        { causations: [cause(2)], appends: [{ ref: pm, pages: numbered(1, "b"), correlationId: "c" }] },
        { causations: [cause(3)], appends: [{ ref: pm, pages: numbered(1, "stale"), correlationId: "c" }] },
        {
          causations: [cause(4)],
          appends: [
            { ref: pm, pages: forced("c"), correlationId: "c" },
            { ref: pm, pages: numbered(3, "d"), correlationId: "c" },
          ],
          enqueue: [entry(cause(4), "command-0")],
        },
      ]);
      expect(results.map((r) => r.kind)).toEqual(["written", "duplicate", "written", "conflict", "written"]);
      expect(texts(await ctx.storage.events.get(pm))).toEqual(["a", "b", "c", "d"]);
      expect(await ctx.storage.causations.has(cause(3))).toBe(false);
      expect((await ctx.storage.outbox.pending({ limit: 10 })).map((e) => e.cause.sequence)).toEqual([4]);
      const log = await visibleLog(ctx.storage, 0n, 4);
      expect(log.map((e) => e.page.sequence.value)).toEqual([0, 1, 2, 3]);
      expect(log.every((e, i) => i === 0 || e.position > (log[i - 1]?.position ?? 0n))).toBe(true);
      expect(await ctx.storage.outbox.write([])).toEqual([]);
    });

    test("malformed input is refused before anything of the batch is written", async () => {
      const bad = { ...cause(2), root: new Uint8Array(3) };
      const err = await thrown(() =>
        ctx.storage.outbox.write([
          { causations: [cause(1)], enqueue: [entry(cause(1), "command-0")] },
          { enqueue: [entry(bad, "command-0")] },
        ]),
      );
      expect(err).toBeInstanceOf(InvalidInputError);
      expect(await ctx.storage.causations.has(cause(1))).toBe(false);
      expect(await ctx.storage.outbox.pending({ limit: 10 })).toEqual([]);
      expect(await thrown(() => ctx.storage.outbox.pending({ limit: -1 }))).toBeInstanceOf(InvalidInputError);
    });

    test("racing writers of one reaction: exactly one writes it", async () => {
      const connect = ctx.fixture.connect;
      const conns: Storage[] = [];
      for (let i = 0; i < 6; i++) conns.push(connect ? await connect() : ctx.storage);
      try {
        const pm = ref("pm", 1);
        const results = await Promise.all(
          conns.map((s, i) =>
            one(s, {
              causations: [cause(5)],
              appends: [{ ref: pm, pages: forced(`from-${i}`), correlationId: "c" }],
              enqueue: [entry(cause(5), "command-0", "lane", `from-${i}`)],
            }),
          ),
        );
        expect(results.filter((r) => r.kind === "written")).toHaveLength(1);
        expect(await ctx.storage.events.get(pm)).toHaveLength(1);
        expect(await ctx.storage.outbox.pending({ limit: 10 })).toHaveLength(1);
      } finally {
        for (const c of conns) if (c !== ctx.storage) await c.close();
      }
    });

    test("racing writers of a decision of commands only, and of one settlement: exactly one writes", async () => {
      const connect = ctx.fixture.connect;
      const conns: Storage[] = [];
      for (let i = 0; i < 6; i++) conns.push(connect ? await connect() : ctx.storage);
      try {
        const decided = await Promise.all(
          conns.map((s, i) =>
            one(s, {
              causations: [cause(6)],
              outcome: () => new Uint8Array([i]),
              enqueue: [
                entry(cause(6), "command-0", "lane", `from-${i}`),
                entry(cause(6), "command-1", "lane", `from-${i}`),
              ],
            }),
          ),
        );
        const winners = decided.filter((r) => r.kind === "written");
        expect(winners).toHaveLength(1);
        const won = written(winners[0]);
        expect(won.enqueued.map((e) => e.name)).toEqual(["command-0", "command-1"]);
        const pending = await ctx.storage.outbox.pending({ limit: 10 });
        expect(pending.map((e) => [e.id, e.name, payloadText(e.payload)])).toEqual(
          won.enqueued.map((e) => [e.id, e.name, payloadText(e.payload)]),
        );
        const first = won.enqueued[0];
        if (!first) throw new Error("no entry");
        const settled = await Promise.all(
          conns.map((s, i) =>
            one(s, { settle: { id: first.id, status: "delivered" }, outcome: () => new Uint8Array([7, i]) }),
          ),
        );
        expect(settled.filter((r) => r.kind === "written")).toHaveLength(1);
        const after = await ctx.storage.outbox.get(first.id);
        expect(after?.status).toBe("delivered");
        expect(after?.result?.[0]).toBe(7);
      } finally {
        for (const c of conns) if (c !== ctx.storage) await c.close();
      }
    });

    test("pending entries survive close and reopen", async () => {
      const reopen = ctx.fixture.reopen;
      if (reopen === undefined) return; // not a persistent backend
      written(await one(ctx.storage, { causations: [cause(1)], enqueue: [entry(cause(1), "command-0")] }));
      await ctx.storage.close();
      const again = await reopen();
      try {
        expect((await again.outbox.pending({ limit: 10 })).map((e) => payloadText(e.payload))).toEqual([
          "command-0",
        ]);
      } finally {
        await again.close();
      }
    });
  });
}
