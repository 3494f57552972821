import { describe, expect, test } from "bun:test";
import { AnyPayload, Covers, EventBookSchema, type EventPage, EventPages, Uuid } from "@angzarr/proto";
import { create, toBinary } from "@bufbuild/protobuf";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { createMemoryStorage } from "../storage/memory";
import type { AggregateRef, EventStore } from "../storage/types";
import { bookBytes } from "./book-bytes";
import { readHistories, readHistory } from "./history";
import { UpcastHistories } from "./upcast-histories";
import type { PageUpcaster } from "./upcasting";

const text = (value: string) => AnyPayload.pack(StringValueSchema, create(StringValueSchema, { value }));
const textOf = (page: EventPage) => AnyPayload.unpack(page.event, StringValueSchema).value;

/** An upcaster that marks every page it sees, and counts them. */
function marking(): { upcast: PageUpcaster; seen: number[] } {
  const seen: number[] = [];
  return {
    seen,
    upcast: async (_domain, pages) => {
      seen.push(pages.length);
      return pages.map((p) => EventPages.numbered(EventPages.sequence(p) ?? 0, text(`${textOf(p)}+`)));
    },
  };
}

async function append(events: EventStore, ref: AggregateRef, ...values: string[]) {
  await events.append(
    ref,
    values.map((v) => EventPages.forced(text(v))),
    { correlationId: "c" },
  );
}

const refOf = (root: Uint8Array, edition = ""): AggregateRef => ({ domain: "stock", edition, root });

describe("UpcastHistories", () => {
  test("a second read upcasts only the pages stored since, and gives the whole history", async () => {
    const { events } = createMemoryStorage();
    const ref = refOf(Uuid.randomBytes());
    const cache = new UpcastHistories();
    const { upcast, seen } = marking();
    await append(events, ref, "a", "b");
    expect((await cache.history(events, ref, upcast)).map(textOf)).toEqual(["a+", "b+"]);
    await append(events, ref, "c");
    expect((await cache.history(events, ref, upcast)).map(textOf)).toEqual(["a+", "b+", "c+"]);
    expect((await cache.history(events, ref, upcast)).map(textOf)).toEqual(["a+", "b+", "c+"]);
    expect(seen).toEqual([2, 1]);
    expect(cache.hits).toBe(2);
  });

  test("concurrent reads of one aggregate never double a page", async () => {
    const { events } = createMemoryStorage();
    const ref = refOf(Uuid.randomBytes());
    const cache = new UpcastHistories();
    await append(events, ref, "a");
    await cache.history(events, ref, undefined);
    await append(events, ref, "b", "c");
    const reads = await Promise.all([1, 2, 3].map(() => cache.history(events, ref, undefined)));
    for (const pages of reads) expect(pages.map(textOf)).toEqual(["a", "b", "c"]);
    expect((await cache.history(events, ref, undefined)).map(EventPages.sequence)).toEqual([0, 1, 2]);
  });

  test("callers get their own array: changing it changes nothing kept", async () => {
    const { events } = createMemoryStorage();
    const ref = refOf(Uuid.randomBytes());
    const cache = new UpcastHistories();
    await append(events, ref, "a");
    const first = await cache.history(events, ref, undefined);
    first.pop();
    expect((await cache.history(events, ref, undefined)).map(textOf)).toEqual(["a"]);
  });

  test("editions are read whole every time (their events can be deleted)", async () => {
    const { events } = createMemoryStorage();
    const root = Uuid.randomBytes();
    const ref = refOf(root, "what-if");
    const cache = new UpcastHistories();
    const { upcast, seen } = marking();
    await append(events, ref, "a");
    await cache.history(events, ref, upcast);
    await events.deleteEdition("stock", "what-if");
    expect(await cache.history(events, ref, upcast)).toEqual([]);
    expect(cache.holds(ref)).toBe(false);
    expect(seen).toEqual([1]);
  });

  test("bounded: the least recently used aggregate goes first, and a read brings it back whole", async () => {
    const { events } = createMemoryStorage();
    const cache = new UpcastHistories(3);
    const [a, b] = [refOf(Uuid.randomBytes()), refOf(Uuid.randomBytes())];
    await append(events, a, "a1", "a2");
    await append(events, b, "b1", "b2");
    await cache.history(events, a, undefined);
    await cache.history(events, b, undefined);
    expect(cache.holds(a)).toBe(false);
    expect(cache.holds(b)).toBe(true);
    expect((await cache.history(events, a, undefined)).map(textOf)).toEqual(["a1", "a2"]);
    expect(cache.holds(a)).toBe(true);
    expect(cache.holds(b)).toBe(false);
  });

  test("readHistory and readHistories with a cache give what they give without one", async () => {
    const { events } = createMemoryStorage();
    const roots = [Uuid.randomBytes(), Uuid.randomBytes(), Uuid.randomBytes()];
    for (const [i, root] of roots.entries()) await append(events, refOf(root), `${i}a`, `${i}b`);
    const covers = [...roots, roots[0] as Uint8Array].map((root) =>
      Covers.make({ domain: "stock", root, correlationId: "x" }),
    );
    const cache = new UpcastHistories();
    const { upcast } = marking();
    // Held and not held in one batch, the same aggregate twice.
    await readHistory(events, covers[1] as (typeof covers)[number], { upcast, cache });
    await append(events, refOf(roots[1] as Uint8Array), "1c");
    const cached = await readHistories(events, covers, { upcast, cache });
    const plain = await readHistories(events, covers, { upcast });
    expect(cached).toEqual(plain);
    expect(cached.map((b) => b.pages.map(textOf))).toEqual([
      ["0a+", "0b+"],
      ["1a+", "1b+", "1c+"],
      ["2a+", "2b+"],
      ["0a+", "0b+"],
    ]);
    expect(await readHistory(events, covers[1] as (typeof covers)[number], { upcast, cache })).toEqual(
      plain[1] as (typeof plain)[number],
    );
  });

  test("books of kept histories encode as protobuf-es encodes them, as the history grows", async () => {
    const { events } = createMemoryStorage();
    const root = Uuid.randomBytes();
    const cover = Covers.make({ domain: "stock", root, correlationId: "x" });
    const cache = new UpcastHistories();
    const { upcast } = marking();
    for (let i = 0; i < 5; i++) {
      await append(events, refOf(root), `p${i}`, `q${i}`);
      const book = await readHistory(events, cover, { upcast, cache });
      expect(bookBytes(book)).toEqual(toBinary(EventBookSchema, book));
    }
  });
});
