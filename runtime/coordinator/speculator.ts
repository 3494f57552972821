// Speculation (runtime.md §8): run a named saga, process manager or projector on supplied books,
// or on books read from the store now or as of a point in time, and return what it would do.
// Nothing is persisted, published or checkpointed: sagas and PMs only decide (prepare → fetch →
// execute/handle → stamp), projectors run their speculative entry point.
//
// Books: a book with a cover and pages is used as given; a book with a cover but no pages is read
// from the store (as of `asOf` when given). Every book is upcast before a handler sees it.
import {
  type Cover,
  type EventBook,
  EventBookSchema,
  type ProcessManagerHandleResponse,
  type Projection,
  type SagaResponse,
  type TemporalQuery,
} from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import * as E from "./errors";
import type { ProcessManagerCoordinator } from "./pm-coordinator";
import type {
  ProcessManagerHandler,
  ProjectorHandler,
  ReactiveDirectory,
  SagaHandler,
} from "./reactive-ports";
import { historyReader, type ReactionDeps, type SagaCoordinator } from "./saga-coordinator";
import { upcastBook } from "./upcasting";

export type ComponentKind = "saga" | "process manager" | "projector";

export const speculationMessages = {
  unknown: (kind: ComponentKind, name: string) =>
    `No ${kind} registered with name: ${name.length > 128 ? `${name.slice(0, 128)}...` : name}`,
  noBook: (what: string) => `${what} must have a cover with a domain`,
  noCorrelation: "The trigger of a process manager must carry a correlation id",
  ambiguous: (kind: ComponentKind, names: string[], header: string) =>
    `Several ${kind}s take this book (${names.join(", ")}): name one in the ${header} header`,
  none: (kind: ComponentKind) => `No ${kind} takes this book`,
} as const;

/** Header naming the component for the coordinator-side services (one gateway hosts many). */
export const COMPONENT_HEADER = "x-angzarr-component";

export class Speculator {
  constructor(
    private readonly directory: ReactiveDirectory,
    private readonly sagas: SagaCoordinator,
    private readonly processManagers: ProcessManagerCoordinator,
    private readonly deps: ReactionDeps,
  ) {}

  saga(name: string): SagaHandler {
    const saga = this.directory.sagas().find((s) => s.name === name);
    if (!saga) throw E.notFound(speculationMessages.unknown("saga", name));
    return saga;
  }

  processManager(name: string): ProcessManagerHandler {
    const pm = this.directory.processManagers().find((p) => p.name === name);
    if (!pm) throw E.notFound(speculationMessages.unknown("process manager", name));
    return pm;
  }

  projector(name: string): ProjectorHandler {
    const projector = this.directory.projectors().find((p) => p.name === name);
    if (!projector) throw E.notFound(speculationMessages.unknown("projector", name));
    return projector;
  }

  /**
   * The component a coordinator-side call means: the one named (header), else the only one of
   * its kind that takes the book's domain.
   */
  pick(kind: ComponentKind, named: string | undefined, book: EventBook | undefined): string {
    if (named) return named;
    // By domain: a cover-only book has no pages to match event types against.
    const takes = (domain: string | undefined) => domain === undefined || domain === book?.cover?.domain;
    const candidates =
      kind === "saga"
        ? this.directory.sagas().filter((s) => takes(s.input.domain))
        : kind === "process manager"
          ? this.directory.processManagers().filter((p) => p.inputs.some((f) => takes(f.domain)))
          : this.directory.projectors().filter((p) => takes(p.input.domain));
    if (candidates.length === 1) return (candidates[0] as { name: string }).name;
    if (candidates.length === 0) throw E.notFound(speculationMessages.none(kind));
    throw E.invalid(
      speculationMessages.ambiguous(
        kind,
        candidates.map((c) => c.name),
        COMPONENT_HEADER,
      ),
    );
  }

  /** A supplied book as given (upcast), or the stored history its cover names when it has no pages. */
  async book(book: EventBook | undefined, what: string, asOf?: TemporalQuery): Promise<EventBook> {
    const cover = book?.cover;
    if (!book || !cover || cover.domain === "") throw E.invalid(speculationMessages.noBook(what));
    if (book.pages.length > 0) return upcastBook(this.deps.upcast, book);
    return historyReader(this.deps, asOf)(cover);
  }

  private async books(books: EventBook[], what: string): Promise<EventBook[]> {
    return Promise.all(books.map((b) => this.book(b, what)));
  }

  async speculateSaga(
    name: string,
    source: EventBook | undefined,
    destinations: EventBook[],
    asOf?: TemporalQuery,
  ): Promise<SagaResponse> {
    const saga = this.saga(name);
    const book = await this.book(source, "source", asOf);
    const supplied = destinations.length > 0 ? await this.books(destinations, "destination") : undefined;
    return this.sagas.decide(saga, book, supplied, asOf);
  }

  async speculateProcessManager(
    name: string,
    trigger: EventBook | undefined,
    processState: EventBook | undefined,
    destinations: EventBook[],
    asOf?: TemporalQuery,
  ): Promise<ProcessManagerHandleResponse> {
    const pm = this.processManager(name);
    const book = await this.book(trigger, "trigger", asOf);
    const cover = book.cover as Cover;
    if (cover.correlationId === "") throw E.invalid(speculationMessages.noCorrelation);
    const supplied = {
      trigger: book,
      ...(processState?.cover ? { processState: await this.book(processState, "process_state", asOf) } : {}),
      ...(destinations.length > 0 ? { destinations: await this.books(destinations, "destination") } : {}),
    };
    const { response } = await this.processManagers.decide(pm, cover, supplied, asOf);
    return response;
  }

  async speculateProjector(
    name: string,
    events: EventBook | undefined,
    asOf?: TemporalQuery,
  ): Promise<Projection> {
    const projector = this.projector(name);
    return projector.speculate(await this.book(events, "events", asOf));
  }

  /** A real projector run on stored events only: the pages the book names, read back from the store. */
  async project(name: string, book: EventBook | undefined): Promise<Projection> {
    const projector = this.projector(name);
    const stored = await this.book(book && create(EventBookSchema, { cover: book.cover }), "events");
    const wanted = new Set(
      (book?.pages ?? []).map((p) => (p.sequence.case === "num" ? p.sequence.value : -1)),
    );
    const pages =
      wanted.size === 0
        ? stored.pages
        : stored.pages.filter((p) => p.sequence.case === "num" && wanted.has(p.sequence.value));
    return projector.handle(create(EventBookSchema, { ...stored, pages }));
  }
}
