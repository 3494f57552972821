// Process managers: join several domains' events by correlation id, keep their own
// event-sourced state (in their own domain, root derived from the correlation id) and issue
// commands.
import {
  AnyPayload,
  type CommandBook,
  ComponentDescriptorSchema,
  type Cover,
  CoverSchema,
  type EventBook,
  EventBookSchema,
  EventBooks,
  EventPageSchema,
  type ProcessManagerHandleResponse,
  ProcessManagerHandleResponseSchema,
  ProcessManagerPrepareResponseSchema,
  ProcessManager as ProcessManagerService,
  type ProcessTimeout,
  ProcessTimeoutSchema,
  Timestamps,
  TypeUrl,
} from "@angzarr/proto";
import { create, type DescMessage, fromBinary, type Message, type MessageShape } from "@bufbuild/protobuf";
import type { EventApplier } from "./aggregate";
import { EventTypes, subscription } from "./components";
import { HistoryPages } from "./fast/history-pages";
import { decodeBookMessage } from "./fast/page-codec";
import type { Component } from "./serve";

export interface ProcessManagerDefinition<SD extends DescMessage> {
  /** Program name, e.g. `pmg-order-fulfillment`. */
  name: string;
  /** The PM's own domain, e.g. `order-fulfillment`. */
  stateDomain: string;
  /** Root of the PM aggregate for a correlation id. */
  rootFor: (correlationId: string) => Uint8Array;
  inputs: { domain: string; events: DescMessage[] }[];
  state: SD;
  events: EventApplier<MessageShape<SD>>[];
  prepare?: (trigger: EventBook, state: MessageShape<SD>) => Cover[];
  handle: (
    trigger: EventBook,
    state: MessageShape<SD>,
    destinations: EventBook[],
  ) => { commands?: CommandBook[]; events?: Message[] };
}

export class ProcessManagerProgram<SD extends DescMessage> {
  readonly name: string;
  private readonly appliers = new Map<string, EventApplier<MessageShape<SD>>>();

  constructor(readonly definition: ProcessManagerDefinition<SD>) {
    this.name = definition.name;
    for (const e of definition.events) this.appliers.set(e.schema.typeName, e);
  }

  descriptor() {
    return create(ComponentDescriptorSchema, {
      name: this.name,
      componentType: "process_manager",
      inputs: this.definition.inputs.map((i) => subscription(i.domain, new EventTypes(i.events))),
    });
  }

  rebuild(book: EventBook | undefined): MessageShape<SD> {
    const state = create(this.definition.state);
    for (const page of book?.pages ?? []) {
      const applier = this.appliers.get(TypeUrl.fullName(page.event?.typeUrl ?? ""));
      if (applier && page.event) applier.apply(state, fromBinary(applier.schema, page.event.value));
    }
    return state;
  }

  prepare(trigger: EventBook, processState: EventBook | undefined): Cover[] {
    if (!this.definition.prepare) return [];
    return this.definition.prepare(trigger, this.rebuild(processState));
  }

  handle(
    trigger: EventBook,
    processState: EventBook | undefined,
    destinations: EventBook[],
  ): ProcessManagerHandleResponse {
    const correlationId = trigger.cover?.correlationId ?? "";
    if (correlationId === "") return create(ProcessManagerHandleResponseSchema);
    const state = this.rebuild(processState);
    const out = this.definition.handle(trigger, state, destinations);
    const events = out.events ?? [];
    const next = EventBooks.nextSequence(processState);
    const cover: Cover =
      processState?.cover?.root?.value?.length === 16
        ? create(CoverSchema, { ...processState.cover, correlationId })
        : create(CoverSchema, {
            domain: this.definition.stateDomain,
            root: { value: this.definition.rootFor(correlationId) },
            correlationId,
            ...(trigger.cover?.edition ? { edition: trigger.cover.edition } : {}),
          });
    const processEvents =
      events.length === 0
        ? undefined
        : create(EventBookSchema, {
            cover,
            pages: events.map((event, i) => {
              const applier = this.appliers.get(event.$typeName);
              if (!applier) throw new Error(`${this.name}: no applier for ${event.$typeName}`);
              return create(EventPageSchema, {
                sequence: { case: "num", value: next + i },
                event: AnyPayload.pack(applier.schema, event),
              });
            }),
          });
    return create(ProcessManagerHandleResponseSchema, {
      commands: out.commands ?? [],
      ...(processEvents ? { processEvents } : {}),
    });
  }
}

export function defineProcessManager<SD extends DescMessage>(
  definition: ProcessManagerDefinition<SD>,
): ProcessManagerProgram<SD> {
  return new ProcessManagerProgram(definition);
}

export function processManagerComponent<SD extends DescMessage>(pm: ProcessManagerProgram<SD>): Component {
  return {
    register(router) {
      router.add(ProcessManagerService.method.getDescriptor, () => pm.descriptor());
      // The trigger is a whole history: its pages read by the page codec (fast/page-codec.ts).
      // Triggers (field 1) and destinations (field 3) through the pages kept from earlier calls:
      // the same histories come back a page longer (the PM's own state, field 2, is small).
      const history = { pages: new HistoryPages(), fields: [1, 3] };
      router.add(
        ProcessManagerService.method.prepare,
        (req) =>
          create(ProcessManagerPrepareResponseSchema, {
            destinations: req.trigger ? pm.prepare(req.trigger, req.processState) : [],
          }),
        (body) => decodeBookMessage(ProcessManagerService.method.prepare.input, body, history),
      );
      router.add(
        ProcessManagerService.method.handle,
        (req) => pm.handle(req.trigger ?? create(EventBookSchema), req.processState, req.destinations),
        (body) => decodeBookMessage(ProcessManagerService.method.handle.input, body, history),
      );
      return [ProcessManagerService.typeName];
    },
  };
}

/**
 * Deadlines: a PM schedules one by including `deadline(...)` among its events (register an
 * applier for `angzarr.ProcessTimeout` to fold it); when it passes, the runtime triggers the PM
 * with a book holding that ProcessTimeout, which `timeoutOf(trigger)` returns.
 */
export function deadline(
  correlationId: string,
  processType: string,
  timeoutType: string,
  at: Date,
): ProcessTimeout {
  return create(ProcessTimeoutSchema, {
    correlationId,
    processType,
    timeoutType,
    deadline: Timestamps.fromMillis(at.getTime()),
  });
}

/** The ProcessTimeout a trigger book delivers, if it is a deadline delivery. */
export function timeoutOf(trigger: EventBook | undefined): ProcessTimeout | undefined {
  const page = trigger?.pages.find(
    (p) => TypeUrl.fullName(p.event?.typeUrl ?? "") === ProcessTimeoutSchema.typeName,
  );
  return page?.event ? fromBinary(ProcessTimeoutSchema, page.event.value) : undefined;
}
