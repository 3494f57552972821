// Sagas: stateless translators from one domain's events to commands (or facts) for another.
import {
  type CommandBook,
  ComponentDescriptorSchema,
  type Cover,
  type EventBook,
  EventBookSchema,
  SagaPrepareResponseSchema,
  type SagaResponse,
  SagaResponseSchema,
  Saga as SagaService,
} from "@angzarr/proto";
import { create, type DescMessage } from "@bufbuild/protobuf";
import { type DecodedPage, EventTypes, logSkippedPage, type SkipHandler, subscription } from "./components";
import { HistoryPages } from "./fast/history-pages";
import { decodeBookMessage } from "./fast/page-codec";
import type { Component } from "./serve";

export interface SagaContext {
  source: EventBook;
  destinations: EventBook[];
  /** Source root bytes (16) or undefined when the cover's root is missing or malformed. */
  sourceRoot: Uint8Array | undefined;
  correlationId: string;
}

export interface SagaDefinition {
  /** Program name, e.g. `saga-order-inventory`. */
  name: string;
  input: { domain: string; events: DescMessage[] };
  /** Destination aggregates whose state Execute needs (none by default). */
  prepare?: (source: EventBook) => Cover[];
  /** Commands (and optionally facts) for one decoded source page. */
  react: (
    page: DecodedPage,
    context: SagaContext,
  ) => { commands?: CommandBook[]; events?: EventBook[] } | CommandBook[];
  /**
   * Hears about source pages skipped because their type is not handled or their payload does not
   * decode. Default: a `component.page_skipped` line on stderr.
   */
  onSkip?: SkipHandler;
}

export class Saga {
  readonly name: string;
  private readonly types: EventTypes;

  constructor(readonly definition: SagaDefinition) {
    this.name = definition.name;
    this.types = new EventTypes(definition.input.events);
  }

  descriptor() {
    return create(ComponentDescriptorSchema, {
      name: this.name,
      componentType: "saga",
      inputs: [subscription(this.definition.input.domain, this.types)],
    });
  }

  prepare(source: EventBook): Cover[] {
    return this.definition.prepare ? this.definition.prepare(source) : [];
  }

  execute(source: EventBook, destinations: EventBook[] = []): SagaResponse {
    const root = source.cover?.root?.value;
    const context: SagaContext = {
      source,
      destinations,
      sourceRoot: root && root.length === 16 ? root : undefined,
      correlationId: source.cover?.correlationId ?? "",
    };
    const commands: CommandBook[] = [];
    const events: EventBook[] = [];
    const onSkip = this.definition.onSkip ?? logSkippedPage(this.name);
    for (const page of this.types.decode(source, onSkip, onSkip)) {
      const out = this.definition.react(page, context);
      if (Array.isArray(out)) commands.push(...out);
      else {
        commands.push(...(out.commands ?? []));
        events.push(...(out.events ?? []));
      }
    }
    return create(SagaResponseSchema, { commands, events });
  }
}

export function defineSaga(definition: SagaDefinition): Saga {
  return new Saga(definition);
}

export function sagaComponent(saga: Saga): Component {
  return {
    register(router) {
      router.add(SagaService.method.getDescriptor, () => saga.descriptor());
      // Destinations are whole histories: their pages read by the page codec (fast/page-codec.ts).
      router.add(
        SagaService.method.prepare,
        (req) =>
          create(SagaPrepareResponseSchema, { destinations: req.source ? saga.prepare(req.source) : [] }),
        (body) => decodeBookMessage(SagaService.method.prepare.input, body),
      );
      // Destinations (field 2) through the pages kept from earlier calls: the same histories
      // come back a page longer.
      const history = { pages: new HistoryPages(), fields: [2] };
      router.add(
        SagaService.method.execute,
        (req) => saga.execute(req.source ?? create(EventBookSchema), req.destinations),
        (body) => decodeBookMessage(SagaService.method.execute.input, body, history),
      );
      return [SagaService.typeName];
    },
  };
}
