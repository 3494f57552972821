// The aggregate side of the SDK: a domain declares its state, how each event applies to it and
// how each command decides (guard → validate → compute). The router does the rest: dispatch by
// full message name, state rebuild from snapshot + pages, numbering, snapshot state, revocation.
import {
  AnyPayload,
  type BusinessResponse,
  BusinessResponseSchema,
  type CommandBook,
  type ComponentDescriptor,
  ComponentDescriptorSchema,
  type ContextualCommand,
  type Cover,
  type EventBook,
  EventBookSchema,
  EventBooks,
  type EventPage,
  EventPageSchema,
  type RevocationResponse,
  RevocationResponseSchema,
  type RevokeEventCommand,
  RevokeEventCommandSchema,
  SubscriptionSchema,
  Timestamps,
  TypeUrl,
} from "@angzarr/proto";
import { create, type DescMessage, fromBinary, type Message, type MessageShape } from "@bufbuild/protobuf";
import type { Any, Timestamp } from "@bufbuild/protobuf/wkt";
import { invalidArgument } from "./errors";

/** What a command handler knows besides the command and the state. */
export interface CommandContext {
  /** Sequence the first new event gets. */
  nextSequence: number;
  /** The command's cover (domain, root, correlation id, edition). */
  cover: Cover | undefined;
  /** Clock for `*_at` fields, fixed for one command. */
  now: Timestamp;
}

export interface EventApplier<S, D extends DescMessage = DescMessage> {
  schema: D;
  apply(state: S, event: MessageShape<D>): void;
}

export interface CommandHandler<S, D extends DescMessage = DescMessage> {
  schema: D;
  /** Returns the events stating the resulting facts (may be empty). Throws typed rejections. */
  handle(command: MessageShape<D>, state: S, context: CommandContext): Message[];
}

/** Typed constructor for an event applier: `on(OrderCreatedSchema, (s, e) => {...})`. */
export function on<S, D extends DescMessage>(
  schema: D,
  apply: (state: S, event: MessageShape<D>) => void,
): EventApplier<S> {
  return { schema, apply } as unknown as EventApplier<S>;
}

/** Typed constructor for a command handler. */
export function handle<S, D extends DescMessage>(
  schema: D,
  fn: (command: MessageShape<D>, state: S, context: CommandContext) => Message[],
): CommandHandler<S> {
  return { schema, handle: fn } as unknown as CommandHandler<S>;
}

export interface AggregateDefinition<SD extends DescMessage> {
  domain: string;
  /** State message: also the snapshot payload. */
  state: SD;
  /** Fresh state; defaults to the message's defaults. */
  initial?: () => MessageShape<SD>;
  events: EventApplier<MessageShape<SD>>[];
  commands: CommandHandler<MessageShape<SD>>[];
  /**
   * Answer to `angzarr.RevokeEventCommand`. Default: ask the framework for a system revocation
   * (`emit_system_revocation`, reason `{saga} rejected: {reason}`) and change nothing.
   */
  revoke?: (command: RevokeEventCommand, state: MessageShape<SD>) => RevocationResponse | Message[];
}

/** A compiled aggregate: pure functions over messages, plus the RPC entry point. */
export class Aggregate<SD extends DescMessage> {
  readonly domain: string;
  private readonly appliers = new Map<string, EventApplier<MessageShape<SD>>>();
  private readonly handlers = new Map<string, CommandHandler<MessageShape<SD>>>();

  constructor(readonly definition: AggregateDefinition<SD>) {
    this.domain = definition.domain;
    for (const e of definition.events) this.appliers.set(e.schema.typeName, e);
    for (const c of definition.commands) this.handlers.set(c.schema.typeName, c);
  }

  initialState(): MessageShape<SD> {
    return this.definition.initial ? this.definition.initial() : create(this.definition.state);
  }

  /** Applies decoded events in order to a state (mutates and returns it). */
  applyAll(state: MessageShape<SD>, events: Message[]): MessageShape<SD> {
    for (const event of events) {
      const applier = this.appliers.get(event.$typeName);
      if (applier) applier.apply(state, event);
    }
    return state;
  }

  /** Decodes one stored event; undefined for types this aggregate does not apply. */
  decodeEvent(any: Any | undefined): Message | undefined {
    if (any === undefined) return undefined;
    const applier = this.appliers.get(TypeUrl.fullName(any.typeUrl));
    if (!applier) return undefined;
    return fromBinary(applier.schema, any.value);
  }

  /** State from a book: the snapshot (when it holds this domain's state), then every page. */
  rebuild(book: EventBook | undefined): MessageShape<SD> {
    let state = this.initialState();
    const snapshot = book?.snapshot?.state;
    if (snapshot && AnyPayload.is(snapshot, this.definition.state)) {
      // A snapshot is used only when it decodes as this domain's state (example-domains §1.5).
      try {
        state = fromBinary(this.definition.state, snapshot.value);
      } catch {
        state = this.initialState();
      }
    }
    for (const page of book?.pages ?? []) {
      const any = page.event;
      if (any === undefined) continue;
      const applier = this.appliers.get(TypeUrl.fullName(any.typeUrl));
      if (applier) applier.apply(state, fromBinary(applier.schema, any.value));
    }
    return state;
  }

  /** Packs an event produced by a handler; its type must have an applier. */
  packEvent(event: Message): Any {
    const applier = this.appliers.get(event.$typeName);
    if (!applier) throw new Error(`${this.domain}: no applier registered for event ${event.$typeName}`);
    return AnyPayload.pack(applier.schema, event);
  }

  /** Packs a command this aggregate handles (or a RevokeEventCommand). */
  packCommand(command: Message): Any {
    if (command.$typeName === RevokeEventCommandSchema.typeName) {
      return AnyPayload.pack(RevokeEventCommandSchema, command as RevokeEventCommand);
    }
    const handler = this.handlers.get(command.$typeName);
    if (!handler) throw new Error(`${this.domain}: no handler registered for command ${command.$typeName}`);
    return AnyPayload.pack(handler.schema, command);
  }

  packState(state: MessageShape<SD>): Any {
    return AnyPayload.pack(this.definition.state, state);
  }

  commandNames(): string[] {
    return [...this.handlers.keys()];
  }

  descriptor(): ComponentDescriptor {
    return create(ComponentDescriptorSchema, {
      name: this.domain,
      componentType: "aggregate",
      inputs: [create(SubscriptionSchema, { domain: this.domain, eventTypes: this.commandNames() })],
    });
  }

  /** The whole `Aggregate.Handle` decision: prior history + command → response. */
  handle(request: ContextualCommand, now: Timestamp = Timestamps.now()): BusinessResponse {
    const command: CommandBook | undefined = request.command;
    const page = command?.pages[0];
    if (command === undefined || page === undefined) throw invalidArgument("CommandBook has no pages");
    const any = page.command;
    const typeUrl = any?.typeUrl ?? "";
    const name = TypeUrl.fullName(typeUrl);
    const state = this.rebuild(request.events);

    if (name === RevokeEventCommandSchema.typeName) {
      const revoke = decodeOrReject(RevokeEventCommandSchema, any as Any);
      const answer = this.definition.revoke
        ? this.definition.revoke(revoke, state)
        : defaultRevocation(revoke);
      if (Array.isArray(answer)) return this.eventsResponse(command, request.events, state, answer);
      return create(BusinessResponseSchema, { result: { case: "revocation", value: answer } });
    }

    const handler = this.handlers.get(name);
    if (!handler) throw invalidArgument(`Unknown command type: ${typeUrl}`);
    const decoded = decodeOrReject(handler.schema, any as Any);
    const nextSequence = EventBooks.nextSequence(request.events);
    const events = handler.handle(decoded, state, { nextSequence, cover: command.cover, now });
    return this.eventsResponse(command, request.events, state, events);
  }

  private eventsResponse(
    command: CommandBook,
    prior: EventBook | undefined,
    state: MessageShape<SD>,
    events: Message[],
  ): BusinessResponse {
    const next = EventBooks.nextSequence(prior);
    const pages: EventPage[] = events.map((event, i) =>
      create(EventPageSchema, {
        sequence: { case: "num", value: next + i },
        event: this.packEvent(event),
      }),
    );
    const book = create(EventBookSchema, {
      ...(command.cover ? { cover: command.cover } : {}),
      pages,
      // The post-command state travels with every answer; the coordinator stores it as a
      // snapshot only when there are pages to anchor it to.
      snapshotState: this.packState(this.applyAll(state, events)),
    });
    return create(BusinessResponseSchema, { result: { case: "events", value: book } });
  }
}

export function defaultRevocation(command: RevokeEventCommand): RevocationResponse {
  return create(RevocationResponseSchema, {
    emitSystemRevocation: true,
    reason: `${command.sagaName} rejected: ${command.rejectionReason}`,
  });
}

/** Decodes a payload or throws INVALID_ARGUMENT `failed to decode {name}: {detail}`. */
export function decodeOrReject<D extends DescMessage>(schema: D, any: Any): MessageShape<D> {
  try {
    return fromBinary(schema, any.value);
  } catch (err) {
    throw invalidArgument(`failed to decode ${schema.typeName}: ${(err as Error).message}`);
  }
}

/**
 * `on` and `handle` bound to one state type, so inline lambdas get a typed state:
 * `const { on, handle } = forState(OrderStateSchema)`.
 */
export function forState<SD extends DescMessage>(_state: SD) {
  return {
    on: <D extends DescMessage>(
      schema: D,
      apply: (state: MessageShape<SD>, event: MessageShape<D>) => void,
    ) => on<MessageShape<SD>, D>(schema, apply),
    handle: <D extends DescMessage>(
      schema: D,
      fn: (command: MessageShape<D>, state: MessageShape<SD>, context: CommandContext) => Message[],
    ) => handle<MessageShape<SD>, D>(schema, fn),
  };
}

export function defineAggregate<SD extends DescMessage>(definition: AggregateDefinition<SD>): Aggregate<SD> {
  return new Aggregate(definition);
}
