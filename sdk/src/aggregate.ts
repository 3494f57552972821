// The aggregate side of the SDK: a domain declares its state, how each event applies to it and
// how each command decides (guard → validate → compute). The router does the rest: dispatch by
// full message name, state rebuild from snapshot + pages, numbering, snapshot state, revocation.
import {
  AnyPayload,
  type BusinessResponse,
  BusinessResponseSchema,
  type CommandBook,
  CommandBookSchema,
  type CommandPage,
  type ComponentDescriptor,
  ComponentDescriptorSchema,
  type ContextualCommand,
  ContextualCommandSchema,
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
  type Snapshot,
  SubscriptionSchema,
  Timestamps,
  TypeUrl,
} from "@angzarr/proto";
import { create, type DescMessage, fromBinary, type Message, type MessageShape } from "@bufbuild/protobuf";
import type { Any, Timestamp } from "@bufbuild/protobuf/wkt";
import { invalidArgument } from "./errors";
import { type ContextualView, nextSequenceOf, readBookPart, readContextualCommand } from "./fast/book-view";
import { FieldStream } from "./fast/field-stream";
import { aggregateKey } from "./fast/history-pages";
import { type ScalarDecoder, scalarDecoder } from "./fast/scalar-decoder";
import { decodeBody } from "./rpc/protocol";

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

/** One event type as the fast rebuild meets it: its type URL bytes and how to apply it. */
interface TypeEntry<S> {
  /** The type URL's bytes (offsets into the request that first carried it). */
  buf: Uint8Array;
  start: number;
  end: number;
  /** Undefined: this aggregate does not apply the type (the page is skipped). */
  applier: EventApplier<S> | undefined;
  decode: ScalarDecoder | undefined;
}

/** Distinct event types remembered per fast rebuild; more than this are looked up per page. */
const TYPE_CACHE = 64;

/** Aggregates whose last answered state a program keeps (least recently answered go first). */
const KEPT_STATES = 256;

/** A compiled aggregate: pure functions over messages, plus the RPC entry point. */
export class Aggregate<SD extends DescMessage> {
  readonly domain: string;
  private readonly appliers = new Map<string, EventApplier<MessageShape<SD>>>();
  private readonly handlers = new Map<string, CommandHandler<MessageShape<SD>>>();

  /**
   * The state after the last answer per aggregate, with the bytes it was answered as (the
   * snapshot the coordinator stores and sends back with the next command): a snapshot with
   * exactly those bytes takes the object instead of decoding them (decoding is a function of the
   * bytes alone). Taken out when used, as the command then changes it.
   */
  private readonly keptStates = new Map<string, { bytes: Uint8Array; state: MessageShape<SD> }>();
  /** Snapshots taken from the kept state, and snapshots decoded (for tests and figures). */
  readonly snapshotCounts = { kept: 0, decoded: 0 };

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
  rebuild(book: EventBook | undefined, cover?: Cover): MessageShape<SD> {
    let state = this.initialState();
    const snapshot = book?.snapshot?.state;
    if (snapshot && AnyPayload.is(snapshot, this.definition.state)) {
      // A snapshot is used only when it decodes as this domain's state (example-domains §1.5).
      state = this.snapshotState(cover, snapshot.value);
    }
    for (const page of book?.pages ?? []) {
      const any = page.event;
      if (any === undefined) continue;
      const applier = this.appliers.get(TypeUrl.fullName(any.typeUrl));
      if (applier) applier.apply(state, fromBinary(applier.schema, any.value));
    }
    return state;
  }

  /** The state a snapshot holds (the initial state when it does not decode). */
  private snapshotState(cover: Cover | undefined, bytes: Uint8Array): MessageShape<SD> {
    const key = aggregateKey(cover);
    const kept = this.keptStates.get(key);
    if (kept !== undefined) {
      this.keptStates.delete(key);
      if (kept.bytes.length === bytes.length && Buffer.compare(kept.bytes, bytes) === 0) {
        this.snapshotCounts.kept++;
        return kept.state;
      }
    }
    this.snapshotCounts.decoded++;
    try {
      return fromBinary(this.definition.state, bytes);
    } catch {
      return this.initialState();
    }
  }

  /** Keeps the state an answer carries, as its bytes, for the aggregate's next command. */
  private keepState(cover: Cover | undefined, state: MessageShape<SD>, bytes: Uint8Array): void {
    const key = aggregateKey(cover);
    this.keptStates.delete(key);
    this.keptStates.set(key, { bytes, state });
    for (const oldest of this.keptStates.keys()) {
      if (this.keptStates.size <= KEPT_STATES) break;
      this.keptStates.delete(oldest);
    }
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
    const command = commandOf(request.command);
    const state = this.needsState(command)
      ? this.rebuild(request.events, command.cover)
      : this.initialState();
    return this.decide(command, state, EventBooks.nextSequence(request.events), now);
  }

  /**
   * False for a RevokeEventCommand when the aggregate has no `revoke`: the default revocation does
   * not look at the state, so the prior history is not folded (a saga's compensations may each
   * come with a trigger of 100,000 line items).
   */
  private needsState(command: CommandBook | undefined): boolean {
    if (this.definition.revoke) return true;
    const typeUrl = command?.pages[0]?.command?.typeUrl;
    return typeUrl === undefined || TypeUrl.fullName(typeUrl) !== RevokeEventCommandSchema.typeName;
  }

  /**
   * `handle` on the encoded request, as the RPC route receives it. The prior pages are read
   * straight from the bytes (see fast/book-view.ts); input the fast path does not handle goes
   * through protobuf-es and `handle`, so the answer (or the error) is always the same.
   */
  handleBinary(body: Uint8Array, now: Timestamp = Timestamps.now()): BusinessResponse {
    const view = readContextualCommand(body);
    let state: MessageShape<SD> | undefined;
    // Not folded when not needed; the type URLs still checked as the fold would (the general path
    // fails on what protobuf-es cannot decode, and both paths answer alike).
    if (view !== undefined && !this.needsState(view.command))
      state = asciiTypes(view) ? this.initialState() : undefined;
    else if (view !== undefined) {
      try {
        state = this.rebuildView(view);
      } catch {
        // A payload or applier failed: the general path fails the way it always did, which may
        // be an earlier error (a text field fromBinary rejects, a command without pages).
        state = undefined;
      }
    }
    // The fold read every page's type URL as ASCII, so protobuf-es decodes this request too:
    // the rest is `handle` on the same values.
    if (view !== undefined && state !== undefined) {
      return this.decide(commandOf(view.command), state, nextSequenceOf(view), now);
    }
    return this.handle(decodeBody(ContextualCommandSchema, body), now);
  }

  /**
   * `handleBinary` on a body that arrives in chunks (a chunked HTTP/1.1 request): the command
   * first, then the prior book as one or several `events` fields (the later ones holding pages
   * only, which protobuf-es merges into one book), each folded into the state as soon as it is
   * complete, while the rest is still arriving. Any other shape, and any failure of the walk or
   * the fold, gives the answer `handleBinary` gives on the whole body (every chunk is kept).
   */
  async handleStream(chunks: AsyncIterable<Uint8Array>, now?: Timestamp): Promise<BusinessResponse> {
    const fields = new FieldStream();
    let command: CommandBook | undefined;
    let needs = true;
    let state: MessageShape<SD> | undefined;
    const types: TypeEntry<MessageShape<SD>>[] = [];
    let parts = 0;
    let snapshot: Snapshot | undefined;
    // For the next sequence: pages in all, the last explicit number and how many pages follow it.
    let total = 0;
    let lastNum = -1;
    let after = 0;
    const onField = (no: number, bytes: Uint8Array): boolean => {
      if (no === 2) {
        if (command !== undefined || parts > 0) return false;
        try {
          command = fromBinary(CommandBookSchema, bytes);
        } catch {
          return false;
        }
        needs = this.needsState(command);
        return true;
      }
      if (no !== 1 || command === undefined) return false;
      const view = readBookPart(bytes, parts === 0);
      if (view === undefined) return false;
      if (parts === 0) {
        snapshot = view.snapshot;
        state = needs ? this.viewState(view.snapshot, command.cover) : this.initialState();
      }
      parts++;
      if (!needs) {
        if (!asciiTypes(view)) return false;
      } else {
        try {
          if (!this.foldView(state as MessageShape<SD>, view, types)) return false;
        } catch {
          return false;
        }
      }
      for (let i = view.count - 1; i >= 0; i--) {
        const num = view.nums[i] as number;
        if (num >= 0) {
          lastNum = num;
          after = view.count - 1 - i;
          break;
        }
        if (i === 0) after += view.count;
      }
      total += view.count;
      return true;
    };
    for await (const chunk of chunks) fields.push(chunk, onField);
    if (!fields.whole || command === undefined) return this.handleBinary(fields.joined(), now);
    const next = lastNum >= 0 ? lastNum + after + 1 : (snapshot ? snapshot.sequence + 1 : 0) + total;
    return this.decide(commandOf(command), state ?? this.initialState(), next, now ?? Timestamps.now());
  }

  /** The state a snapshot holds (the initial state without one, or when it does not decode). */
  private viewState(snapshot: Snapshot | undefined, cover: Cover | undefined): MessageShape<SD> {
    const state = snapshot?.state;
    return state && AnyPayload.is(state, this.definition.state)
      ? this.snapshotState(cover, state.value)
      : this.initialState();
  }

  /**
   * State from a walked request: the snapshot, then every page, as `rebuild` does. Undefined
   * when a page's type URL is not ASCII (the general path decides then).
   */
  private rebuildView(view: ContextualView): MessageShape<SD> | undefined {
    const state = this.viewState(view.snapshot, view.command?.cover);
    return this.foldView(state, view, []) ? state : undefined;
  }

  /**
   * Applies the walked pages of `view` to `state`; `types` caches the type URLs seen (across
   * views). False when a page's type URL is not ASCII.
   */
  private foldView(
    state: MessageShape<SD>,
    view: ContextualView,
    types: TypeEntry<MessageShape<SD>>[],
  ): boolean {
    const { buf, refs, count } = view;
    let last: TypeEntry<MessageShape<SD>> | undefined;
    for (let i = 0; i < count; i++) {
      const at = 4 * i;
      const typeStart = refs[at] as number;
      if (typeStart < 0) continue;
      const typeEnd = refs[at + 1] as number;
      let entry = last !== undefined && sameBytes(buf, typeStart, typeEnd, last) ? last : undefined;
      if (entry === undefined) {
        for (const t of types) {
          if (sameBytes(buf, typeStart, typeEnd, t)) {
            entry = t;
            break;
          }
        }
      }
      if (entry === undefined) {
        const typeUrl = asciiText(buf, typeStart, typeEnd);
        if (typeUrl === undefined) return false;
        const applier = this.appliers.get(TypeUrl.fullName(typeUrl));
        entry = {
          buf,
          start: typeStart,
          end: typeEnd,
          applier,
          decode: applier ? scalarDecoder(applier.schema) : undefined,
        };
        if (types.length < TYPE_CACHE) types.push(entry);
      }
      last = entry;
      const applier = entry.applier;
      if (applier === undefined) continue;
      const valueStart = refs[at + 2] as number;
      const valueEnd = refs[at + 3] as number;
      const event =
        entry.decode?.(buf, valueStart, valueEnd) ??
        fromBinary(applier.schema, buf.subarray(valueStart, valueEnd));
      applier.apply(state, event);
    }
    return true;
  }

  /** The command part of `handle`, once the state and next sequence are known. */
  private decide(
    command: CommandBook & { pages: [CommandPage, ...CommandPage[]] },
    state: MessageShape<SD>,
    nextSequence: number,
    now: Timestamp,
  ): BusinessResponse {
    const any = command.pages[0].command;
    const typeUrl = any?.typeUrl ?? "";
    const name = TypeUrl.fullName(typeUrl);

    if (name === RevokeEventCommandSchema.typeName) {
      const revoke = decodeOrReject(RevokeEventCommandSchema, any as Any);
      const answer = this.definition.revoke
        ? this.definition.revoke(revoke, state)
        : defaultRevocation(revoke);
      if (Array.isArray(answer)) return this.eventsResponse(command, nextSequence, state, answer);
      return create(BusinessResponseSchema, { result: { case: "revocation", value: answer } });
    }

    const handler = this.handlers.get(name);
    if (!handler) throw invalidArgument(`Unknown command type: ${typeUrl}`);
    const decoded = decodeOrReject(handler.schema, any as Any);
    const events = handler.handle(decoded, state, { nextSequence, cover: command.cover, now });
    return this.eventsResponse(command, nextSequence, state, events);
  }

  private eventsResponse(
    command: CommandBook,
    next: number,
    state: MessageShape<SD>,
    events: Message[],
  ): BusinessResponse {
    const pages: EventPage[] = events.map((event, i) =>
      create(EventPageSchema, {
        sequence: { case: "num", value: next + i },
        event: this.packEvent(event),
      }),
    );
    const after = this.applyAll(state, events);
    const snapshotState = this.packState(after);
    this.keepState(command.cover, after, snapshotState.value);
    const book = create(EventBookSchema, {
      ...(command.cover ? { cover: command.cover } : {}),
      pages,
      // The post-command state travels with every answer; the coordinator stores it as a
      // snapshot only when there are pages to anchor it to.
      snapshotState,
    });
    return create(BusinessResponseSchema, { result: { case: "events", value: book } });
  }
}

/** The request's command, which must have a page (INVALID_ARGUMENT otherwise). */
function commandOf(
  command: CommandBook | undefined,
): CommandBook & { pages: [CommandPage, ...CommandPage[]] } {
  if (command === undefined || command.pages[0] === undefined)
    throw invalidArgument("CommandBook has no pages");
  return command as CommandBook & { pages: [CommandPage, ...CommandPage[]] };
}

/** True when every page's type URL in the walked request is ASCII. */
function asciiTypes(view: ContextualView): boolean {
  const { buf, refs, count } = view;
  for (let i = 0; i < count; i++) {
    const start = refs[4 * i] as number;
    if (start < 0) continue;
    const end = refs[4 * i + 1] as number;
    for (let j = start; j < end; j++) if ((buf[j] as number) > 0x7f) return false;
  }
  return true;
}

/** True when buf[start, end) holds the same bytes as the entry's type URL. */
function sameBytes<S>(buf: Uint8Array, start: number, end: number, entry: TypeEntry<S>): boolean {
  const len = end - start;
  if (len !== entry.end - entry.start) return false;
  const other = entry.buf;
  const offset = entry.start - start;
  // Type URLs differ at their end (the message name): compare from there.
  for (let i = end - 1; i >= start; i--) if (buf[i] !== other[i + offset]) return false;
  return true;
}

/** ASCII bytes as text, or undefined when a byte is not ASCII. */
function asciiText(buf: Uint8Array, start: number, end: number): string | undefined {
  let text = "";
  for (let i = start; i < end; i++) {
    const b = buf[i] as number;
    if (b > 0x7f) return undefined;
    text += String.fromCharCode(b);
  }
  return text;
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
