// Reading whole aggregate histories for sagas, PMs and queries (no snapshots: they get full
// history), with the upcaster applied.
import {
  type Cover,
  CoverSchema,
  Covers,
  Editions,
  type EventBook,
  EventBookSchema,
  type EventPage,
  type TemporalQuery,
} from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import type { AggregateRef, EventStore } from "../storage/types";
import { reactiveTurn } from "./fair-share";
import type { UpcastHistories } from "./upcast-histories";
import { applyUpcaster, type PageUpcaster } from "./upcasting";

export function refOf(cover: Cover, editionOverride?: string): AggregateRef {
  const edition = editionOverride ?? Covers.edition(cover);
  const root = cover.root?.value ?? new Uint8Array();
  const explicit = Editions.divergenceFor(cover.edition, cover.domain);
  return explicit === undefined
    ? { domain: cover.domain, edition, root }
    : { domain: cover.domain, edition, root, divergence: { kind: "sequence", sequence: explicit } };
}

/** Resolves a cover to the aggregate on its timeline (EditionResolver.ref). */
export type RefResolver = (cover: Cover, edition?: string) => Promise<AggregateRef>;

export interface HistoryOptions {
  /** Read on this timeline instead of the cover's. */
  edition?: string;
  upcast?: PageUpcaster;
  /** Resolves the timeline and branch point (default: the cover's explicit divergence only). */
  resolve?: RefResolver;
  /** The history as of this point (speculation); absent = everything. */
  asOf?: TemporalQuery;
  /** Whole histories kept between reads (not used as of a point in time). */
  cache?: UpcastHistories;
}

/** Reads one aggregate's pages, whole or as of a point in time. */
async function readPages(events: EventStore, ref: AggregateRef, asOf: TemporalQuery | undefined) {
  const point = asOf?.pointInTime;
  if (point?.case === "asOfSequence") return events.getRange(ref, 0, point.value);
  if (point?.case === "asOfTime") return events.getUntil(ref, point.value);
  return events.get(ref);
}

/** Full history of the aggregate a cover names; a missing aggregate is an empty book. */
export async function readHistory(
  events: EventStore,
  cover: Cover,
  options: HistoryOptions = {},
): Promise<EventBook> {
  const ref = await resolveRef(cover, options);
  if (ref.root.length !== 16) return historyBook(cover, ref, []);
  if (options.cache !== undefined && options.asOf === undefined) {
    return historyBook(cover, ref, await options.cache.history(events, ref, options.upcast));
  }
  const pages = await readPages(events, ref, options.asOf);
  return historyBook(cover, ref, await applyUpcaster(options.upcast, ref.domain, pages));
}

/** Aggregates read per step by readHistories. */
export const HISTORY_BATCH = 128;

/**
 * readHistory for each cover, in their order: whole histories in batches of HISTORY_BATCH (one
 * store call per batch where the store reads many at once), the event loop's turn between
 * batches. A saga may ask for thousands of destinations.
 */
export async function readHistories(
  events: EventStore,
  covers: Cover[],
  options: HistoryOptions = {},
): Promise<EventBook[]> {
  const getMany = options.asOf === undefined ? events.getMany?.bind(events) : undefined;
  const books: EventBook[] = [];
  for (let start = 0; start < covers.length; start += HISTORY_BATCH) {
    await reactiveTurn();
    const batch = covers.slice(start, start + HISTORY_BATCH);
    if (getMany === undefined) {
      for (const cover of batch) books.push(await readHistory(events, cover, options));
      continue;
    }
    const refs: AggregateRef[] = [];
    for (const cover of batch) refs.push(await resolveRef(cover, options));
    const { cache } = options;
    // Read whole in one call: what the cache does not hold (it reads only newer pages of the rest).
    const whole = refs.map((r) => r.root.length === 16 && !(cache?.holds(r) ?? false));
    const valid = refs.filter((_, i) => whole[i]);
    const read = valid.length > 0 ? await getMany(valid) : [];
    let next = 0;
    for (let i = 0; i < batch.length; i++) {
      const ref = refs[i] as AggregateRef;
      const pages = whole[i] ? (read[next++] ?? []) : [];
      const history =
        cache !== undefined && ref.root.length === 16
          ? await cache.history(events, ref, options.upcast, whole[i] ? async () => pages : undefined)
          : await applyUpcaster(options.upcast, ref.domain, pages);
      books.push(historyBook(batch[i] as Cover, ref, history));
    }
  }
  return books;
}

function resolveRef(cover: Cover, options: HistoryOptions): Promise<AggregateRef> | AggregateRef {
  return options.resolve ? options.resolve(cover, options.edition) : refOf(cover, options.edition);
}

/** The book of a history as read for `cover`. */
function historyBook(cover: Cover, ref: AggregateRef, pages: EventPage[]): EventBook {
  const edition =
    ref.edition === Editions.MAIN ? {} : { edition: cover.edition ?? { name: ref.edition, divergences: [] } };
  return create(EventBookSchema, {
    cover: create(CoverSchema, {
      domain: cover.domain,
      root: cover.root,
      correlationId: cover.correlationId,
      ...edition,
    }),
    pages,
  });
}
