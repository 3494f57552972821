// Where an event's trace continues when a consumer (saga, PM, projector) takes it later: the
// `traceparent` of the command span that stored each page, kept in memory by (domain, edition,
// root, sequence). Consumers read events back from the store, not from the bus, so the trace
// context cannot travel with the delivery itself: the store keeps each page's traceparent
// (AppendOptions.traceparent, set by the measuring storage adapter), and a consumer fills this map
// from the pages it reads before it processes them. Between coordinators the bus message carries
// the publisher's `traceparent` too (a message header), and the receiving bus fills the map with
// it. The command's append and publish do not: every page a consumer processes is read from the
// store first, and what they wrote would only be written again (twice per command, sampled or
// not, for nothing). Bounded: the oldest entries go first.
import { Covers, type EventBook } from "@angzarr/proto";
import { activeTraceparent, tracingEnabled } from "@angzarr/sdk";

/** The most pages remembered; at least half as many of the latest are always kept. */
const LIMIT = 20_000;
/**
 * Two generations instead of one Map evicting its oldest key: a full Map that deletes its first
 * key on every insert leaves a run of deleted slots at its front that every `keys().next()` walks
 * again (measured 12–19 µs per insert at 20,000 entries, as much as the command's whole span;
 * bench/span-cost.ts). A generation is dropped whole when the next one is full instead.
 */
let recent = new Map<string, string>();
let older = new Map<string, string>();

/** The part of a page's key shared by every page of one aggregate (root as hex, computed once). */
const aggregateKey = (domain: string, edition: string, root: Uint8Array) =>
  `${domain}\u0000${edition}\u0000${Buffer.from(root.buffer, root.byteOffset, root.byteLength).toString("hex")}\u0000`;

function remember(key: string, traceparent: string): void {
  // Already there (the bus message's, then the stored one): nothing to write.
  if (recent.get(key) === traceparent) return;
  recent.set(key, traceparent);
  if (recent.size >= LIMIT / 2) {
    older = recent;
    recent = new Map();
  }
}

function recall(key: string): string | undefined {
  return recent.get(key) ?? older.get(key);
}

/**
 * Remembers `traceparent` (stored with the book's pages, or a bus message's) for every page of
 * `book`: a consumer of this process that takes the book continues that trace.
 */
export function rememberBookTrace(book: EventBook, traceparent: string): void {
  if (!tracingEnabled()) return;
  const cover = book.cover;
  const root = cover?.root?.value;
  if (!cover || !root) return;
  const aggregate = aggregateKey(cover.domain, Covers.edition(cover), root);
  for (const page of book.pages) {
    if (page.sequence.case === "num") remember(aggregate + page.sequence.value, traceparent);
  }
}

/** `{ traceparent }` of the active span, to store with work done later; empty when untraced. */
export function traceContext(): { traceparent?: string } {
  if (!tracingEnabled()) return {};
  const traceparent = activeTraceparent();
  return traceparent === undefined ? {} : { traceparent };
}

/** The trace that stored the book's first page, if remembered. */
export function traceOf(book: EventBook): string | undefined {
  if (!tracingEnabled()) return undefined;
  const cover = book.cover;
  const root = cover?.root?.value;
  const first = book.pages[0]?.sequence;
  if (!cover || !root || first?.case !== "num") return undefined;
  return recall(aggregateKey(cover.domain, Covers.edition(cover), root) + first.value);
}
