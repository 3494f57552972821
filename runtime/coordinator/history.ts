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
  const ref = options.resolve ? await options.resolve(cover, options.edition) : refOf(cover, options.edition);
  let pages: EventPage[] = ref.root.length === 16 ? await readPages(events, ref, options.asOf) : [];
  pages = await applyUpcaster(options.upcast, ref.domain, pages);
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
