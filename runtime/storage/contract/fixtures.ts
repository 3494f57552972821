// Builders and helpers shared by the contract suite's sections.

import { expect } from "bun:test";
import { type EventPage, EventPageSchema, EventPages, Timestamps, Uuid } from "@angzarr/proto";
import { create, toBinary } from "@bufbuild/protobuf";
import { type Any, AnySchema, type Timestamp, TimestampSchema } from "@bufbuild/protobuf/wkt";
import type { StorageConfig } from "../open";
import type { AggregateRef, GlobalReadFilter, Storage, StoredEvent } from "../types";

/** What a backend hands the suite for one test. */
export interface StorageFixture {
  /** A fresh, empty store. */
  storage: Storage;
  /** Opens the same store again after `storage.close()` (persistent backends only). */
  reopen?: () => Promise<Storage>;
  /** Another connection to the same store, for concurrent writers; absent = share `storage`. */
  connect?: () => Promise<Storage>;
  /** How another process opens this store; present = the multi-process tests run. */
  processConfig?: StorageConfig;
  /** Closes `storage` and removes everything the fixture created. */
  cleanup: () => Promise<void>;
}

export type StorageFactory = () => Promise<StorageFixture>;

/** The suite's handle on the current test's fixture. */
export interface ContractContext {
  readonly fixture: StorageFixture;
  readonly storage: Storage;
}

/** A deterministic root: 16 bytes derived from a small number (root(1) < root(2) bytewise). */
export function root(n: number): Uint8Array {
  const bytes = new Uint8Array(16);
  new DataView(bytes.buffer).setUint32(12, n);
  bytes[0] = 0x10;
  return bytes;
}

export function ref(domain: string, rootNumber: number, edition = ""): AggregateRef {
  return { domain, edition, root: root(rootNumber) };
}

export function payload(text: string, typeUrl = "type.test/test.Event"): Any {
  return create(AnySchema, { typeUrl, value: new TextEncoder().encode(text) });
}

export function textOf(page: EventPage | undefined): string {
  return new TextDecoder().decode(page?.event?.value ?? new Uint8Array());
}

export function at(seconds: number, nanos = 0): Timestamp {
  return create(TimestampSchema, { seconds: BigInt(seconds), nanos });
}

/** Explicit pages `from`, `from + 1`, … carrying the given texts. */
export function numbered(from: number, ...texts: string[]): EventPage[] {
  return texts.map((text, i) => EventPages.numbered(from + i, payload(text)));
}

export function forced(...texts: string[]): EventPage[] {
  return texts.map((text) => EventPages.forced(payload(text)));
}

/** A page with neither `num` nor `force` set. */
export function unset(text: string): EventPage {
  return create(EventPageSchema, { event: payload(text) });
}

export function nums(pages: EventPage[]): number[] {
  return pages.map((p) => {
    expect(p.sequence.case).toBe("num");
    return p.sequence.value as number;
  });
}

export function texts(pages: EventPage[]): string[] {
  return pages.map(textOf);
}

export function nanos(ts: Timestamp | undefined): bigint {
  expect(ts).toBeDefined();
  return Timestamps.toNanos(ts as Timestamp);
}

export function encoded(page: EventPage): Uint8Array {
  return toBinary(EventPageSchema, page);
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

export function rootText(bytes: Uint8Array): string {
  return Uuid.toText(bytes);
}

/** Runs `fn` and returns what it threw (fails the test when it did not throw). */
export async function thrown(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected the call to throw");
}

/**
 * The global log after `after`, once at least `count` events are visible. A backend may make a
 * committed event visible to readAll a little later (PostgreSQL reads below a safe high-water
 * mark), but once visible it stays visible; waiting here keeps the assertions deterministic.
 */
export async function visibleLog(
  storage: Storage,
  after: bigint,
  count: number,
  filter?: GlobalReadFilter,
): Promise<StoredEvent[]> {
  const deadline = performance.now() + 10_000;
  for (;;) {
    const log = await storage.events.readAll(after, 100_000, filter);
    if (log.length >= count || performance.now() > deadline) return log;
    await Bun.sleep(5);
  }
}

/** Everything observable about the event store, for "nothing changed" checks. */
export async function eventSnapshot(storage: Storage, refs: AggregateRef[]): Promise<string> {
  const parts: string[] = [];
  let stored = 0;
  for (const r of refs) {
    const pages = await storage.events.get(r);
    if (r.edition === "") stored += pages.length;
    parts.push(`${r.domain}/${r.edition}/${hex(r.root)}:${pages.map((p) => hex(encoded(p))).join(",")}`);
    parts.push(`next=${await storage.events.nextSequence(r)}`);
    const snap = await storage.snapshots.get(r);
    parts.push(`snap=${snap ? `${snap.sequence}:${hex(toBinary(AnySchema, snap.state))}` : "none"}`);
  }
  const log = await visibleLog(storage, 0n, stored);
  parts.push(
    `log=${log.map((e) => `${e.position}:${e.domain}/${e.edition}/${hex(e.root)}#${e.page.sequence.value}`).join(",")}`,
  );
  parts.push(`head=${await storage.events.headPosition()}`);
  return parts.join("\n");
}
