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
// Domain: a cover naming a business domain no component owns and the store has never seen is
// NOT_FOUND (`No service registered for domain: {d}`); a known domain without events for the root
// is an empty book. Internal domains (`_meta.*`, `angzarr.*`) are always readable.
// GetAggregateRoots streams every (domain, edition, root) with the edition in the extension field
// `AggregateRoot.edition` (empty = main); internal domains only when the request carries the
// header `x-angzarr-include-internal: true`.
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
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { isInternalDomain } from "../coordinator/domains";
import * as E from "../coordinator/errors";
import { applyUpcaster } from "../coordinator/upcasting";
import { InvalidInputError } from "../storage/errors";
import type { AggregateRef, EventStore } from "../storage/types";
import { gatewayMessages } from "./command-gateway";
import type { ServiceDeps } from "./deps";
import { guarded, guardedStream } from "./wire-errors";

/** Header asking GetAggregateRoots to list internal domains too. */
export const INCLUDE_INTERNAL_HEADER = "x-angzarr-include-internal";

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

/** NOT_FOUND for a business domain nobody owns and the store has never held. */
async function checkDomain(deps: ServiceDeps, domain: string): Promise<void> {
  if (domain === "" || isInternalDomain(domain) || deps.domains().includes(domain)) return;
  let stored: string[];
  try {
    stored = await deps.storage.events.listDomains();
  } catch (err) {
    throw loadError(err);
  }
  if (!stored.includes(domain)) throw E.notFound(gatewayMessages.unknownService(domain));
}

async function resolve(deps: ServiceDeps, query: Query): Promise<Target> {
  const cover = query.cover;
  if (!cover) throw E.invalid(queryMessages.noCover);
  checkSelection(query.selection);
  await checkDomain(deps, cover.domain);
  const root = cover.root?.value;
  if (root !== undefined && root.length > 0) {
    if (root.length !== 16) throw E.invalid(E.Messages.invalidUuid(`expected 16 bytes, got ${root.length}`));
    if (cover.domain === "") throw E.invalid(queryMessages.noCover);
    return { kind: "aggregate", cover, ref: await deps.pipeline.editions.ref(cover) };
  }
  if (cover.correlationId === "") throw E.invalid(queryMessages.noRoot);
  const edition = Editions.nameOf(cover.edition);
  if (edition !== Editions.MAIN) await deps.pipeline.editions.registered(edition);
  return {
    kind: "correlation",
    cover,
    correlationId: cover.correlationId,
    edition: Editions.nameOf(cover.edition),
  };
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

function upcast(deps: ServiceDeps, domain: string, pages: EventPage[]): Promise<EventPage[]> {
  return applyUpcaster(deps.upcast, domain, pages);
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

async function* aggregateRoots(deps: ServiceDeps, ctx: HandlerContext): AsyncGenerator<AggregateRoot> {
  const internal = (ctx.requestHeader.get(INCLUDE_INTERNAL_HEADER) ?? "").toLowerCase() === "true";
  let aggregates: { domain: string; edition: string; root: Uint8Array }[];
  try {
    aggregates = await deps.storage.events.listAggregates();
  } catch (err) {
    throw loadError(err);
  }
  for (const { domain, edition, root } of aggregates) {
    if (!internal && isInternalDomain(domain)) continue;
    yield create(AggregateRootSchema, { domain, root: Uuid.message(root), edition });
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
    getAggregateRoots: (_request, ctx) => guardedStream(ctx, deps.log, () => aggregateRoots(deps, ctx)),
  };
}

export { EventQuery };
