// Given / when / then for aggregate authors: prior events in, one command, events or a typed
// rejection out. Runs the same code path as the RPC handler (packing, numbering, snapshot state),
// with no I/O.
import {
  CommandBookSchema,
  CommandPageSchema,
  ContextualCommandSchema,
  Covers,
  type EventBook,
  EventBookSchema,
  EventPageSchema,
  SnapshotSchema,
  Timestamps,
  Uuid,
} from "@angzarr/proto";
import {
  create,
  type DescMessage,
  equals,
  fromBinary,
  type Message,
  type MessageShape,
  toJsonString,
} from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Aggregate } from "./aggregate";

export interface Outcome<S> {
  /** Decoded new events (empty on rejection). */
  events: Message[];
  /** Their sequence numbers as the handler assigned them. */
  sequences: number[];
  /** State after the command (from the returned snapshot state; prior state on rejection). */
  state: S;
  /** The typed rejection, when the command was refused. */
  error?: ConnectError;
  /** A revocation answer, when the command was a RevokeEventCommand. */
  revocation?: { emitSystemRevocation: boolean; reason: string };
}

export class AggregateSpec<SD extends DescMessage> {
  private readonly prior: Message[] = [];
  private snapshot: { sequence: number; state: MessageShape<SD> } | undefined;
  readonly root: Uint8Array;

  constructor(
    private readonly aggregate: Aggregate<SD>,
    root?: Uint8Array,
  ) {
    this.root = root ?? Uuid.randomBytes();
  }

  /** Prior events, applied in order after any snapshot. */
  given(...events: Message[]): this {
    this.prior.push(...events);
    return this;
  }

  /** Starts from a snapshot holding `state` at `sequence`. */
  givenSnapshot(sequence: number, state: MessageShape<SD>): this {
    this.snapshot = { sequence, state };
    return this;
  }

  /** The prior history as the coordinator would hand it to the handler. */
  history(): EventBook {
    const base = this.snapshot ? this.snapshot.sequence + 1 : 0;
    return create(EventBookSchema, {
      cover: Covers.make({ domain: this.aggregate.domain, root: this.root }),
      ...(this.snapshot
        ? {
            snapshot: create(SnapshotSchema, {
              sequence: this.snapshot.sequence,
              state: this.aggregate.packState(this.snapshot.state),
            }),
          }
        : {}),
      pages: this.prior.map((event, i) =>
        create(EventPageSchema, {
          sequence: { case: "num", value: base + i },
          createdAt: Timestamps.now(),
          event: this.aggregate.packEvent(event),
        }),
      ),
    });
  }

  /** State rebuilt from the prior history. */
  state(): MessageShape<SD> {
    return this.aggregate.rebuild(this.history());
  }

  /**
   * Checks a successful outcome against §1.5: its snapshot state equals a full replay of the prior
   * history plus its events, and that snapshot followed by `later` events rebuilds to the same state
   * as replaying everything. Throws with both states as JSON when either differs.
   */
  expectSnapshotConsistent(outcome: Outcome<MessageShape<SD>>, later: Message[] = []): void {
    if (outcome.error)
      throw new Error(`expected success, got ${Code[outcome.error.code]}: ${outcome.error.rawMessage}`);
    const last = outcome.sequences.at(-1);
    if (last === undefined) throw new Error("expected the outcome to carry events");
    const replay = (events: Message[]) => {
      const full = new AggregateSpec(this.aggregate, this.root);
      if (this.snapshot) full.givenSnapshot(this.snapshot.sequence, this.snapshot.state);
      return full.given(...this.prior, ...events).state();
    };
    this.assertSameState("snapshot state vs full replay", outcome.state, replay(outcome.events));
    const fromSnapshot = new AggregateSpec(this.aggregate, this.root)
      .givenSnapshot(last, outcome.state)
      .given(...later)
      .state();
    this.assertSameState(
      "snapshot + later events vs full replay",
      fromSnapshot,
      replay([...outcome.events, ...later]),
    );
  }

  private assertSameState(what: string, actual: MessageShape<SD>, expected: MessageShape<SD>): void {
    const schema = this.aggregate.definition.state;
    if (equals(schema, actual, expected)) return;
    throw new Error(
      `${what} differ:\n  got      ${toJsonString(schema, actual)}\n  expected ${toJsonString(schema, expected)}`,
    );
  }

  /** Sends one command (a message, or a packed Any for malformed-payload cases). */
  when(command: Message): Outcome<MessageShape<SD>> {
    const any =
      command.$typeName === "google.protobuf.Any" ? (command as Any) : this.aggregate.packCommand(command);
    const history = this.history();
    const request = create(ContextualCommandSchema, {
      events: history,
      command: create(CommandBookSchema, {
        cover: history.cover,
        pages: [create(CommandPageSchema, { sequence: 0, command: any })],
      }),
    });
    const prior = this.aggregate.rebuild(history);
    try {
      const response = this.aggregate.handle(request);
      if (response.result.case === "revocation") {
        const r = response.result.value;
        return {
          events: [],
          sequences: [],
          state: prior,
          revocation: { emitSystemRevocation: r.emitSystemRevocation, reason: r.reason },
        };
      }
      const book = response.result.value;
      const pages = book?.pages ?? [];
      const events = pages
        .map((p) => this.aggregate.decodeEvent(p.event))
        .filter((e): e is Message => e !== undefined);
      const sequences = pages.map((p) => (p.sequence.case === "num" ? p.sequence.value : -1));
      const state = book?.snapshotState
        ? fromBinary(this.aggregate.definition.state, book.snapshotState.value)
        : prior;
      return { events, sequences, state };
    } catch (err) {
      if (err instanceof ConnectError) return { events: [], sequences: [], state: prior, error: err };
      throw err;
    }
  }
}

/** `spec(orderAggregate).given(created).when(pay)` */
export function spec<SD extends DescMessage>(aggregate: Aggregate<SD>, root?: Uint8Array): AggregateSpec<SD> {
  return new AggregateSpec(aggregate, root);
}

/** Asserts a rejection's code and that its message contains `fragment` (case-insensitive). */
export function expectRejection(outcome: Outcome<unknown>, code: Code, fragment: string): void {
  const err = outcome.error;
  if (!err) throw new Error(`expected ${Code[code]} containing "${fragment}", but the command succeeded`);
  if (err.code !== code) throw new Error(`expected ${Code[code]}, got ${Code[err.code]}: ${err.rawMessage}`);
  if (!err.rawMessage.toLowerCase().includes(fragment.toLowerCase())) {
    throw new Error(`expected message containing "${fragment}", got "${err.rawMessage}"`);
  }
}

/** Asserts a rejection's code and its exact message (the rule tables' texts are exact). */
export function expectExactRejection(outcome: Outcome<unknown>, code: Code, message: string): void {
  expectRejection(outcome, code, message);
  const actual = outcome.error?.rawMessage;
  if (actual !== message) throw new Error(`expected message "${message}", got "${actual}"`);
}

/** A seeded pseudo-random source in [0, 1) (mulberry32): the same sequence for the same seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
