// The bus contract: what every EventBus adapter promises, run unchanged against each one
// (bus contract.int.test.ts). Rows that need a durable broker (redelivery after a consumer died,
// an outage mid-stream) run where the fixture offers the means to cause them.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { CoverSchema, type EventBook, EventBookSchema, EventPages, TypeUrl } from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { CheckpointedConsumer, EditionConsumers } from "../../coordinator/consumer";
import { createMemoryStorage } from "../../storage/memory";
import type { BusFilter, EventBus } from "../types";

export interface BusFixture {
  /** A bus on the shared broker: each call is another process's connection (memory: the same bus). */
  open(): Promise<EventBus>;
  /** Durable: books wait in a named subscriber's queue while it is gone, and come again unacknowledged. */
  durable: boolean;
  /** Kills a bus as a process death would: no close, no acknowledgement (durable buses). */
  crash?(bus: EventBus): void;
  /** Opens a bus whose broker connection can be cut and restored (outage rows). */
  openBehindProxy?(): Promise<{ bus: EventBus; cut(): void; restore(): void }>;
  /** Closes every bus and removes what the test created on the broker. */
  cleanup(): Promise<void>;
}

export type BusFactory = () => Promise<BusFixture>;

const WAIT_MS = 15_000;

function root(n: number): Uint8Array {
  const bytes = new Uint8Array(16);
  new DataView(bytes.buffer).setUint32(12, n);
  bytes[0] = 0x20;
  return bytes;
}

/** A book of `domain`, aggregate `rootNumber`, one page per type, numbered from `sequence`. */
export function book(
  domain: string,
  rootNumber: number,
  sequence: number,
  types: string[] = ["test.bus.Happened"],
  edition = "",
): EventBook {
  return create(EventBookSchema, {
    cover: create(CoverSchema, {
      domain,
      root: { value: root(rootNumber) },
      correlationId: `c-${rootNumber}-${sequence}`,
      ...(edition === "" ? {} : { edition: { name: edition } }),
    }),
    pages: types.map((t, i) =>
      EventPages.numbered(
        sequence + i,
        create(AnySchema, { typeUrl: TypeUrl.forName(t), value: new TextEncoder().encode(`${sequence}`) }),
      ),
    ),
  });
}

function label(b: EventBook): string {
  const first = b.pages[0];
  const seq = first ? (EventPages.sequence(first) ?? -1) : -1;
  return `${b.cover?.domain}/${b.cover?.root?.value[15]}/${seq}`;
}

/** Waits until `check` holds, polling. */
async function until(what: string, check: () => boolean, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

/** Subscribes and records every delivered book's label. */
async function recorder(bus: EventBus, name: string, filter: BusFilter) {
  const seen: string[] = [];
  const sub = bus.subscribe(name, filter, (b) => {
    seen.push(label(b));
  });
  await sub.ready();
  return { seen, sub };
}

/** What an adapter can show: rows it cannot run are reported as skipped, never as passed. */
export interface BusCapabilities {
  /** Books wait in a named subscriber's queue while it is gone and come again unacknowledged. */
  durable: boolean;
  /** The fixture can cut and restore a bus's broker connection. */
  outages: boolean;
}

export function defineBusContract(name: string, capabilities: BusCapabilities, factory: BusFactory): void {
  describe(`bus contract: ${name}`, () => {
    let fixture: BusFixture;
    let unique = 0;
    beforeEach(async () => {
      fixture = await factory();
    });
    afterEach(async () => {
      await fixture.cleanup();
    });
    const domain = () => `d${++unique}`;

    test("each aggregate's books arrive in publish order, each once", async () => {
      const bus = await fixture.open();
      const d = domain();
      const { seen } = await recorder(bus, "ordered", { domain: d });
      const expected: string[] = [];
      const sends: Promise<void>[] = [];
      for (let seq = 0; seq < 20; seq++) {
        for (let r = 1; r <= 5; r++) {
          const b = book(d, r, seq);
          expected.push(label(b));
          sends.push(bus.publish(b));
        }
      }
      await Promise.all(sends);
      await until("every book", () => seen.length >= expected.length);
      await Bun.sleep(100);
      expect(seen.length).toBe(expected.length);
      for (let r = 1; r <= 5; r++) {
        const mine = (l: string) => l.startsWith(`${d}/${r}/`);
        expect(seen.filter(mine)).toEqual(expected.filter(mine));
      }
    });

    test("every subscriber gets every book (fan-out), also from another process's publisher", async () => {
      const a = await fixture.open();
      const b = await fixture.open();
      const d = domain();
      const first = await recorder(a, "fan-1", { domain: d });
      const second = await recorder(b, "fan-2", { domain: d });
      for (let seq = 0; seq < 5; seq++) await b.publish(book(d, 1, seq));
      await until("both subscribers", () => first.seen.length >= 5 && second.seen.length >= 5);
      expect(first.seen).toEqual(second.seen);
    });

    test("notify (where the bus has it) hands books to a live follower in order, without waiting", async () => {
      const bus = await fixture.open();
      if (!bus.notify) return; // publish stands in for it
      const d = domain();
      const seen: string[] = [];
      const sub = bus.subscribe("notified", { domain: d }, (b) => void seen.push(label(b)), {
        transient: true,
      });
      await sub.ready();
      const expected: string[] = [];
      for (let seq = 0; seq < 10; seq++) {
        const b = book(d, 1, seq);
        expected.push(label(b));
        expect(bus.notify(b)).toBeUndefined();
      }
      await until("every notified book", () => seen.length >= expected.length);
      expect(seen).toEqual(expected);
      sub.unsubscribe();
    });

    test("filters: domain, event types (full or suffix), every timeline, each book once", async () => {
      const bus = await fixture.open();
      const d = domain();
      const other = domain();
      const byDomain = await recorder(bus, "f-domain", { domain: d });
      const byShort = await recorder(bus, "f-short", { domain: d, eventTypes: ["Shipped"] });
      const bySuffix = await recorder(bus, "f-suffix", {
        domain: d,
        eventTypes: ["bus.Paid", "test.bus.Shipped"],
      });
      const everything = await recorder(bus, "f-all", {});
      await bus.publish(book(d, 1, 0, ["test.bus.Created"]));
      await bus.publish(book(d, 1, 1, ["test.bus.Paid", "test.bus.Shipped"]));
      await bus.publish(book(d, 2, 0, ["test.bus.Shipped"], "what-if"));
      await bus.publish(book(other, 1, 0, ["test.bus.Shipped"]));
      await bus.publish(book(d, 3, 0, ["test.bus.NotShipped"]));
      await until("domain subscriber", () => byDomain.seen.length >= 4);
      await until(
        "all subscriber",
        () => everything.seen.filter((l) => l.startsWith(`${d}/`) || l.startsWith(`${other}/`)).length >= 5,
      );
      await until("type subscribers", () => byShort.seen.length >= 2 && bySuffix.seen.length >= 2);
      await Bun.sleep(150);
      expect(byDomain.seen).toEqual([`${d}/1/0`, `${d}/1/1`, `${d}/2/0`, `${d}/3/0`]);
      expect(byShort.seen).toEqual([`${d}/1/1`, `${d}/2/0`]);
      expect(bySuffix.seen).toEqual([`${d}/1/1`, `${d}/2/0`]);
    });

    test("a failing handler does not stop later books (a durable bus hands the failed one again)", async () => {
      const bus = await fixture.open();
      const d = domain();
      const seen: string[] = [];
      let failed = false;
      const sub = bus.subscribe("failing", { domain: d }, (b) => {
        seen.push(label(b));
        if (!failed) {
          failed = true;
          throw new Error("handler failed once");
        }
      });
      await sub.ready();
      await bus.publish(book(d, 1, 0));
      await bus.publish(book(d, 2, 0));
      await until("later book", () => seen.includes(`${d}/2/0`));
      if (fixture.durable) await until("redelivery", () => seen.filter((l) => l === `${d}/1/0`).length === 2);
    });

    test.skipIf(!capabilities.durable)(
      "a consumer that dies before acknowledging gets the book again when it comes back",
      async () => {
        if (!fixture.crash) throw new Error("a durable fixture needs crash()");
        const d = domain();
        const doomed = await fixture.open();
        let got = 0;
        const sub = doomed.subscribe("mortal", { domain: d }, () => {
          got++;
          return new Promise<void>(() => {}); // never acknowledged
        });
        await sub.ready();
        await doomed.publish(book(d, 1, 0));
        await doomed.publish(book(d, 1, 1));
        await until("first delivery", () => got === 1);
        fixture.crash(doomed);
        const revived = await fixture.open();
        const { seen } = await recorder(revived, "mortal", { domain: d });
        await until("redelivery", () => seen.length >= 2);
        expect(seen).toEqual([`${d}/1/0`, `${d}/1/1`]);
      },
    );

    test.skipIf(!capabilities.durable)(
      "replicas of a subscriber (one per process): one is active, the other takes over when it dies",
      async () => {
        if (!fixture.crash) throw new Error("a durable fixture needs crash()");
        const d = domain();
        const first = await fixture.open();
        const a = await recorder(first, "pair", { domain: d });
        const second = await fixture.open();
        const b: string[] = [];
        const standby = second.subscribe("pair", { domain: d }, (x) => {
          b.push(label(x));
        });
        for (let seq = 0; seq < 5; seq++) await first.publish(book(d, 1, seq));
        await until("the active replica's books", () => a.seen.length === 5);
        // The second one stands by: it knows it, and gets nothing.
        await Bun.sleep(300);
        expect({ first: a.sub.active?.() ?? true, second: standby.active?.() ?? true, b }).toEqual({
          first: true,
          second: false,
          b: [],
        });
        fixture.crash(first);
        for (let seq = 5; seq < 10; seq++) await second.publish(book(d, 1, seq));
        await standby.ready();
        await until("the survivor's books", () => b.length >= 5);
        expect(standby.active?.()).toBe(true);
        expect(b).toEqual(Array.from({ length: 5 }, (_, i) => `${d}/1/${i + 5}`));
      },
    );

    test.skipIf(!capabilities.durable)(
      "replicas of a checkpointed consumer over one store: only the active one processes, the survivor resumes",
      async () => {
        if (!fixture.crash) throw new Error("a durable fixture needs crash()");
        const d = domain();
        const storage = createMemoryStorage();
        const replica = (bus: EventBus, handled: string[]) =>
          new EditionConsumers({
            name: "pair-consumer",
            filter: { domain: d },
            events: storage.events,
            positions: storage.positions,
            deadLetters: storage.deadLetters,
            bus,
            pollMs: 20, // the standby's timer fires often: it must still do nothing
            process: async (b) => {
              handled.push(label(b));
              await Bun.sleep(30); // slower than the timer: a second reader would overlap
            },
          });
        const store = async (seq: number) => {
          const b = book(d, 1, seq);
          await storage.events.append({ domain: d, edition: "", root: root(1) }, b.pages, {
            correlationId: b.cover?.correlationId ?? "",
          });
          return b;
        };
        const buses = [await fixture.open(), await fixture.open()] as const;
        const handled: [string[], string[]] = [[], []];
        const replicas = [replica(buses[0], handled[0]), replica(buses[1], handled[1])] as const;
        await Promise.all(replicas.map((r) => r.start()));
        for (let seq = 0; seq < 5; seq++) await buses[0].publish(await store(seq));
        await until("the active replica's books", () => handled[0].length + handled[1].length >= 5);
        await Bun.sleep(300);
        // One replica did everything, the other (its timer firing all along) nothing.
        const active = handled[0].length > 0 ? 0 : 1;
        const survivor = 1 - active;
        expect([handled[active], handled[survivor]]).toEqual([
          Array.from({ length: 5 }, (_, i) => `${d}/1/${i}`),
          [],
        ]);
        fixture.crash(buses[active] as EventBus);
        await replicas[active]?.stop();
        for (let seq = 5; seq < 10; seq++) await buses[survivor]?.publish(await store(seq));
        await until("the survivor's books", () => (handled[survivor]?.length ?? 0) >= 5, WAIT_MS * 2);
        await Bun.sleep(150);
        await replicas[survivor]?.stop();
        expect(handled[survivor]).toEqual(Array.from({ length: 5 }, (_, i) => `${d}/1/${i + 5}`));
        await storage.close();
      },
    );

    test("a consumer started again from a reset checkpoint (a rebuild) has caught up when start resolves", async () => {
      const bus = await fixture.open();
      const d = domain();
      const storage = createMemoryStorage();
      const handled: string[] = [];
      const consumer = new EditionConsumers({
        name: "rebuilt",
        filter: { domain: d },
        events: storage.events,
        positions: storage.positions,
        deadLetters: storage.deadLetters,
        bus,
        pollMs: 60_000, // no timer to rescue a start that did not catch up
        process: async (b) => {
          handled.push(label(b));
        },
      });
      for (let seq = 0; seq < 3; seq++) {
        const b = book(d, 1, seq);
        await storage.events.append({ domain: d, edition: "", root: root(1) }, b.pages, {
          correlationId: b.cover?.correlationId ?? "",
        });
      }
      await consumer.start();
      expect(handled).toHaveLength(3);
      await consumer.stop();
      await consumer.resetCheckpoint();
      await consumer.start();
      const once = [0, 1, 2].map((seq) => `${d}/1/${seq}`);
      expect(handled).toEqual([...once, ...once]);
      await consumer.stop();
      await storage.close();
    });

    test.skipIf(!capabilities.outages)(
      "broker outage mid-stream: publishes fail fast, the subscriber resumes with every confirmed book",
      async () => {
        if (!fixture.openBehindProxy) throw new Error("an outage fixture needs openBehindProxy()");
        const d = domain();
        const direct = await fixture.open();
        const proxied = await fixture.openBehindProxy();
        const { seen } = await recorder(proxied.bus, "outage", { domain: d });
        for (let seq = 0; seq < 5; seq++) await direct.publish(book(d, 1, seq));
        await until("books before the outage", () => seen.length >= 5);
        proxied.cut();
        // The subscriber's connection is gone: books wait in its durable queue.
        for (let seq = 5; seq < 10; seq++) await direct.publish(book(d, 1, seq));
        let refused = false;
        await proxied.bus.publish(book(d, 2, 0)).catch(() => {
          refused = true;
        });
        expect(refused).toBe(true);
        proxied.restore();
        await until("books after the outage", () => seen.includes(`${d}/1/9`), 30_000);
        await proxied.bus.publish(book(d, 1, 10));
        await until("a publish after recovery", () => seen.includes(`${d}/1/10`), 30_000);
        const ours = seen.filter((l) => l.startsWith(`${d}/1/`));
        // At least once, in order (a book unacknowledged at the cut may come twice).
        const unique = ours.filter((l, i) => ours.indexOf(l) === i);
        expect(unique).toEqual(Array.from({ length: 11 }, (_, i) => `${d}/1/${i}`));
      },
    );

    test("duplicated, lost and reordered books never double or skip a checkpointed consumer's effect", async () => {
      const bus = await fixture.open();
      const d = domain();
      const storage = createMemoryStorage();
      const handled: string[] = [];
      const consumer = new CheckpointedConsumer({
        name: "dedupe",
        filter: { domain: d },
        events: storage.events,
        positions: storage.positions,
        deadLetters: storage.deadLetters,
        bus,
        pollMs: 60_000, // woken by the bus only (and at start)
        process: async (b) => {
          handled.push(label(b));
        },
      });
      await consumer.start();
      const books: EventBook[] = [];
      for (let seq = 0; seq < 6; seq++) {
        const b = book(d, 1, seq);
        await storage.events.append({ domain: d, edition: "", root: root(1) }, b.pages, {
          correlationId: b.cover?.correlationId ?? "",
        });
        books.push(b);
      }
      // Published twice, out of order, one never: the store fills every gap.
      const [b0, b1, b2, b3, , b5] = books as [
        EventBook,
        EventBook,
        EventBook,
        EventBook,
        EventBook,
        EventBook,
      ];
      for (const b of [b2, b0, b2, b1, b3, b0, b5, b5]) await bus.publish(b);
      // A broker drops what arrives before the consumer's queue is bound: the last one again.
      for (let i = 0; i < 50 && handled.length < 6; i++) {
        await Bun.sleep(200);
        if (handled.length < 6) await bus.publish(b5);
      }
      await until("every book handled", () => handled.length >= 6);
      await Bun.sleep(150);
      await consumer.stop();
      expect(handled).toEqual(Array.from({ length: 6 }, (_, i) => `${d}/1/${i}`));
      await storage.close();
    });
  });
}
