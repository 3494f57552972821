// Projectors: turn one domain's events into a read model and report what they projected.
// Programs serve Projector.Handle (real run) and, for reference compatibility,
// ProjectorCoordinator.HandleSync; ProjectorCoordinator.HandleSpeculative computes the same
// result without writing anything.
import {
  AnyPayload,
  ComponentDescriptorSchema,
  EditionEventsDeletedSchema,
  Editions,
  type EventBook,
  type Projection,
  ProjectionSchema,
  ProjectorCoordinator,
  Projector as ProjectorService,
  TypeUrl,
} from "@angzarr/proto";
import { create, type DescMessage } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { type DecodedPage, EventTypes, subscription } from "./components";
import { decodeEventBook } from "./fast/page-codec";
import { log } from "./log";
import type { Component } from "./serve";

export interface ProjectionContext {
  book: EventBook;
  /** True for speculative runs: compute the same result, write nothing. */
  speculative: boolean;
}

export interface ProjectorDefinition {
  /** Program name, e.g. `projector-order-summary`. */
  name: string;
  input: { domain: string; events: DescMessage[] };
  /**
   * Applies the decoded pages of one book (idempotently by root and sequence) and returns the
   * payload to report, if any. Must not write when `context.speculative`.
   */
  project: (pages: DecodedPage[], context: ProjectionContext) => Projection["projection"] | undefined;
  /**
   * Drops everything the projector keeps for an edition the runtime deleted (it sends a book with
   * one `angzarr.EditionEventsDeleted` page). Absent: such books are skipped like any unknown event.
   */
  deleteEdition?: (edition: string) => void;
}

export class ProjectorProgram {
  readonly name: string;
  private readonly types: EventTypes;

  constructor(readonly definition: ProjectorDefinition) {
    this.name = definition.name;
    this.types = new EventTypes(definition.input.events);
  }

  descriptor() {
    return create(ComponentDescriptorSchema, {
      name: this.name,
      componentType: "projector",
      inputs: [subscription(this.definition.input.domain, this.types)],
    });
  }

  handle(book: EventBook, speculative = false): Projection {
    const deletion = book.pages.find((p) => AnyPayload.is(p.event, EditionEventsDeletedSchema));
    if (deletion) {
      const edition = AnyPayload.unpack(deletion.event, EditionEventsDeletedSchema).edition;
      if (!speculative && !Editions.isMain(edition)) this.definition.deleteEdition?.(edition);
      return create(ProjectionSchema, { ...(book.cover ? { cover: book.cover } : {}), projector: this.name });
    }
    const pages = this.types.decode(book, (page, why) => this.logSkip(page, why));
    const known = new Set(this.types.names());
    for (const page of book.pages) {
      const type = TypeUrl.fullName(page.event?.typeUrl ?? "");
      if (!known.has(type)) this.logSkip(page, `unhandled event type ${JSON.stringify(type)}`);
    }
    const payload = this.definition.project(pages, { book, speculative });
    const last = book.pages.at(-1);
    return create(ProjectionSchema, {
      ...(book.cover ? { cover: book.cover } : {}),
      projector: this.name,
      sequence: last?.sequence.case === "num" ? last.sequence.value : 0,
      ...(payload ? { projection: payload } : {}),
    });
  }

  /** Unknown or undecodable pages are skipped, never an error (example-domains §1.1), and logged. */
  private logSkip(page: EventBook["pages"][number], reason: string): void {
    const sequence = page.sequence.case === "num" ? page.sequence.value : undefined;
    log.info("projector.page_skipped", { projector: this.name, sequence, reason });
  }
}

export function defineProjector(definition: ProjectorDefinition): ProjectorProgram {
  return new ProjectorProgram(definition);
}

export function projectorComponent(projector: ProjectorProgram): Component {
  const required = (book: EventBook | undefined): EventBook => {
    if (!book) throw new ConnectError("request has no events", Code.InvalidArgument);
    return book;
  };
  return {
    register(router) {
      router.add(ProjectorService.method.getDescriptor, () => projector.descriptor());
      // A consumer's catch-up hands over books of up to a batch of pages: read by the page codec
      // (the book protobuf-es reads; protobuf-es reads what the codec declines).
      router.add(ProjectorService.method.handle, (book) => projector.handle(book), decodeEventBook);
      router.add(ProjectorCoordinator.method.handleSync, (req) => projector.handle(required(req.events)));
      router.add(ProjectorCoordinator.method.handleSpeculative, (book) => projector.handle(book, true));
      return [ProjectorService.typeName, ProjectorCoordinator.typeName];
    },
  };
}
