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
} from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import type { AggregateRef, EventStore } from "../storage/types";
import type { PageUpcaster } from "./aggregate-pipeline";

export function refOf(cover: Cover, editionOverride?: string): AggregateRef {
  const edition = editionOverride ?? Covers.edition(cover);
  const root = cover.root?.value ?? new Uint8Array();
  const explicit = Editions.divergenceFor(cover.edition, cover.domain);
  return explicit === undefined
    ? { domain: cover.domain, edition, root }
    : { domain: cover.domain, edition, root, divergence: { kind: "sequence", sequence: explicit } };
}

/** Full history of the aggregate a cover names; a missing aggregate is an empty book. */
export async function readHistory(
  events: EventStore,
  cover: Cover,
  options: { edition?: string; upcast?: PageUpcaster } = {},
): Promise<EventBook> {
  const ref = refOf(cover, options.edition);
  let pages: EventPage[] = ref.root.length === 16 ? await events.get(ref) : [];
  if (options.upcast && pages.length > 0) pages = await options.upcast(ref.domain, pages);
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
