// EventQuery (runtime.md §8): one selection semantics for every RPC.
//
// Target:
// - `cover.root` set (16 bytes) with `cover.domain`: that aggregate on the cover's timeline
//   (composite history for editions, explicit divergences honoured). The correlation id, if also
//   set, does not filter. A root without a domain is INVALID_ARGUMENT.
// - otherwise `cover.correlation_id`: every aggregate holding events with that id, one book per
//   aggregate carrying only those events, ordered by (domain, edition, root); narrowed to
//   `cover.domain` when set and to the cover's timeline (exactly that edition's own events).
//   GetEvents streams every book. GetEventBook and Synchronize answer with one book: no match →
//   an empty book with the query's cover; exactly one → that book; several → INVALID_ARGUMENT
//   (`Correlation id {c} matches {n} aggregates; set cover.domain or use GetEvents`), since one
//   book has one cover and silently picking one would hide events.
// Selection (same for both targets): none = full history; `range` = lower..upper inclusive
// (upper absent = to the end, upper < lower = nothing); `sequences` = exactly those numbers (an
// empty set selects nothing); `temporal.as_of_time` = created_at <= t; `temporal.as_of_sequence`
// = sequence <= n. Queries never use snapshots. An aggregate without events is an empty book.
import {
  type AggregateRoot,
  AggregateRootSchema,
  type Cover,
  Editions,
  type EventBook,
  EventBookSchema,
  type EventPage,
  EventPages,
  EventQuery,
  type Query,
  Timestamps,
  Uuid,
} from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import * as E from "../coordinator/errors";
import { InvalidInputError } from "../storage/errors";
import type { AggregateRef, Divergence, EventStore } from "../storage/types";
import type { ServiceDeps } from "./deps";
import { guarded, guardedStream } from "./wire-errors";

export const queryMessages = {
  noCover: "Query must have a cover with domain/root or correlation_id",
  noRoot: "Query must have a root UUID or correlation_id",
  emptyTemporal: "TemporalQuery must specify as_of_time or as_of_sequence",
  ambiguous: (correlationId: string, count: number) =>
    `Correlation id ${correlationId} matches ${count} aggregates; set cover.domain or use GetEvents`,
} as const;

type Selection = Query["selection"];

type Target =
  | { kind: "aggregate"; cover: Cover; ref: AggregateRef }
  | { kind: "correlation"; cover: Cover; correlationId: string; edition: string };

function checkSelection(selection: Selection): void {
  if (selection.case === "temporal" && selection.value.pointInTime.case === undefined) {
    throw E.invalid(queryMessages.emptyTemporal);
  }
}

async function resolve(deps: ServiceDeps, query: Query): Promise<Target> {
  const cover = query.cover;
  if (!cover) throw E.invalid(queryMessages.noCover);
  checkSelection(query.selection);
  const root = cover.root?.value;
  if (root !== undefined && root.length > 0) {
    if (root.length !== 16) throw E.invalid(E.Messages.invalidUuid(`expected 16 bytes, got ${root.length}`));
    if (cover.domain === "") throw E.invalid(queryMessages.noCover);
    return { kind: "aggregate", cover, ref: await refFor(deps, cover, root) };
  }
  if (cover.correlationId === "") throw E.invalid(queryMessages.noRoot);
  return {
    kind: "correlation",
    cover,
    correlationId: cover.correlationId,
    edition: Editions.nameOf(cover.edition),
  };
}

/** The aggregate on the cover's timeline, with the branch point the pipeline would use. */
async function refFor(deps: ServiceDeps, cover: Cover, root: Uint8Array): Promise<AggregateRef> {
  const edition = Editions.nameOf(cover.edition);
  const base = { domain: cover.domain, edition, root };
  if (edition === Editions.MAIN) return base;
  const explicit = Editions.divergenceFor(cover.edition, cover.domain);
  let divergence: Divergence | undefined =
    explicit === undefined ? undefined : { kind: "sequence", sequence: explicit };
  if (divergence === undefined) divergence = (await deps.storage.editions.get(edition))?.divergence;
  return divergence === undefined ? base : { ...base, divergence };
}

/** Reads the selected pages of one aggregate straight from the store. */
async function readSelected(
  events: EventStore,
  ref: AggregateRef,
  selection: Selection,
): Promise<EventPage[]> {
  switch (selection.case) {
    case undefined:
      return events.get(ref);
    case "range": {
      const { lower, upper } = selection.value;
      if (upper === undefined) return events.getFrom(ref, lower);
      return upper < lower ? [] : events.getRange(ref, lower, upper);
    }
    case "sequences": {
      const wanted = new Set(selection.value.values);
      if (wanted.size === 0) return [];
      const pages = await events.getRange(ref, Math.min(...wanted), Math.max(...wanted));
      return pages.filter((p) => wanted.has(EventPages.sequence(p) ?? -1));
    }
    case "temporal": {
      const point = selection.value.pointInTime;
      if (point.case === "asOfSequence") return events.getRange(ref, 0, point.value);
      if (point.case === "asOfTime") return events.getUntil(ref, point.value);
      throw E.invalid(queryMessages.emptyTemporal);
    }
  }
}

/** The same selection as a predicate over pages already loaded (correlation books). */
function pagePredicate(selection: Selection): (page: EventPage) => boolean {
  const seq = (page: EventPage) => EventPages.sequence(page) ?? -1;
  switch (selection.case) {
    case undefined:
      return () => true;
    case "range": {
      const { lower, upper } = selection.value;
      return (p) => seq(p) >= lower && (upper === undefined || seq(p) <= upper);
    }
    case "sequences": {
      const wanted = new Set(selection.value.values);
      return (p) => wanted.has(seq(p));
    }
    case "temporal": {
      const point = selection.value.pointInTime;
      if (point.case === "asOfSequence") return (p) => seq(p) >= 0 && seq(p) <= point.value;
      if (point.case === "asOfTime") {
        const limit = Timestamps.toNanos(point.value);
        return (p) => (p.createdAt ? Timestamps.toNanos(p.createdAt) : 0n) <= limit;
      }
      throw E.invalid(queryMessages.emptyTemporal);
    }
  }
}

function loadError(err: unknown): unknown {
  if (err instanceof InvalidInputError) return E.invalid(err.message);
  if (err instanceof Error && "code" in err && typeof (err as { code: unknown }).code === "number")
    return err;
  return E.internal(E.Messages.loadFailed(err instanceof Error ? err.message : String(err)));
}

async function upcast(deps: ServiceDeps, domain: string, pages: EventPage[]): Promise<EventPage[]> {
  if (!deps.upcast || pages.length === 0) return pages;
  try {
    return await deps.upcast(domain, pages);
  } catch (err) {
    throw E.internal(E.Messages.upcasterFailed(err instanceof Error ? err.message : String(err)));
  }
}

/** Every book the query selects (one for an aggregate target, one per aggregate by correlation). */
async function selectBooks(deps: ServiceDeps, target: Target, selection: Selection): Promise<EventBook[]> {
  try {
    if (target.kind === "aggregate") {
      const pages = await readSelected(deps.storage.events, target.ref, selection);
      return [
        create(EventBookSchema, {
          cover: target.cover,
          pages: await upcast(deps, target.ref.domain, pages),
        }),
      ];
    }
    const keep = pagePredicate(selection);
    const found = await deps.storage.events.getByCorrelation(target.correlationId);
    const books: EventBook[] = [];
    for (const book of found) {
      const cover = book.cover;
      if (target.cover.domain !== "" && cover?.domain !== target.cover.domain) continue;
      if (Editions.nameOf(cover?.edition) !== target.edition) continue;
      const pages = book.pages.filter(keep);
      if (pages.length === 0) continue;
      books.push(create(EventBookSchema, { ...book, pages: await upcast(deps, cover?.domain ?? "", pages) }));
    }
    return books;
  } catch (err) {
    throw loadError(err);
  }
}

async function oneBook(deps: ServiceDeps, query: Query): Promise<EventBook> {
  const target = await resolve(deps, query);
  const books = await selectBooks(deps, target, query.selection);
  if (target.kind === "aggregate") return books[0] ?? create(EventBookSchema, { cover: target.cover });
  if (books.length > 1) throw E.invalid(queryMessages.ambiguous(target.correlationId, books.length));
  return books[0] ?? create(EventBookSchema, { cover: target.cover });
}

async function* allBooks(deps: ServiceDeps, query: Query): AsyncGenerator<EventBook> {
  const target = await resolve(deps, query);
  yield* await selectBooks(deps, target, query.selection);
}

async function* aggregateRoots(deps: ServiceDeps): AsyncGenerator<AggregateRoot> {
  let aggregates: { domain: string; edition: string; root: Uint8Array }[];
  try {
    aggregates = await deps.storage.events.listAggregates();
  } catch (err) {
    throw loadError(err);
  }
  // AggregateRoot has no edition: report each (domain, root) once, whatever timelines hold it.
  const seen = new Set<string>();
  for (const { domain, root } of aggregates) {
    const key = `${domain}\u0000${Buffer.from(root).toString("hex")}`;
    if (seen.has(key)) continue;
    seen.add(key);
    yield create(AggregateRootSchema, { domain, root: Uuid.message(root) });
  }
}

export function eventQueryService(deps: ServiceDeps): ServiceImpl<typeof EventQuery> {
  return {
    getEventBook: (request, ctx) => guarded(ctx, deps.log, () => oneBook(deps, request)),
    getEvents: (request, ctx) => guardedStream(ctx, deps.log, () => allBooks(deps, request)),
    synchronize: (requests, ctx) =>
      guardedStream(ctx, deps.log, async function* () {
        for await (const query of requests) yield await oneBook(deps, query);
      }),
    getAggregateRoots: (_request, ctx) => guardedStream(ctx, deps.log, () => aggregateRoots(deps)),
  };
}

export { EventQuery };
