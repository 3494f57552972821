// Storage ports. Orchestration depends on these interfaces only; backends (memory, sqlite,
// postgres) implement them and never import orchestration.
//
// Conventions shared by every method and backend:
// - Roots are 16 raw bytes; anything else is an InvalidInputError.
// - Editions are normalised names: "" is the main timeline (see @angzarr/proto Editions).
// - Sequence ranges are inclusive at both ends (`getRange(ref, 2, 4)` returns 2, 3 and 4).
// - Pages come back numbered (`num` set) with `createdAt` set, ascending by sequence.
import type { EventBook, EventPage } from "@angzarr/proto";
import type { Any, Timestamp } from "@bufbuild/protobuf/wkt";

/** Where an edition aggregate branches from the main timeline for one domain. */
export type Divergence =
  /** Main-timeline pages below this sequence are inherited; the edition owns the rest. */
  | { kind: "sequence"; sequence: number }
  /** Main-timeline pages created at or before this time are inherited. */
  | { kind: "time"; time: Timestamp };

/** One aggregate on one timeline. */
export interface AggregateRef {
  domain: string;
  /** Normalised edition name; "" = main timeline. */
  edition: string;
  root: Uint8Array;
  /**
   * Explicit branch point for edition reads and writes. Absent: the implicit point, i.e. the
   * lowest sequence the edition itself holds for this aggregate (all main pages when it holds none).
   * Ignored on the main timeline.
   */
  divergence?: Divergence;
}

export interface SnapshotRecord {
  /** Last event folded into `state`. */
  sequence: number;
  state: Any;
}

export interface AppendOptions {
  correlationId: string;
  /**
   * Recorded in the same transaction as the pages (exactly-once effects of sagas and process
   * managers): when the key is already recorded, nothing is written and CausationRecordedError
   * is thrown. Memory, SQLite and PostgreSQL keep events and causations in one store for this.
   */
  causation?: CausationKey;
  /** Stored in the same transaction, at the last appended page's sequence. */
  snapshotState?: Any;
  /**
   * W3C `traceparent` of the operation appending the pages (when traced), kept with each page:
   * a consumer that reads them before (or without) their bus message continues that trace.
   */
  traceparent?: string;
  /**
   * The sequence the writer expects the aggregate to continue from (the history it decided on
   * ended just before it): an append finding the aggregate elsewhere writes nothing and throws
   * SequenceConflictError, whatever its pages' numbers (`force` and unnumbered pages included).
   */
  expectedNext?: number;
}

/** An event with its place in the global, commit-ordered log. */
export interface StoredEvent {
  /** Global position: strictly increasing in commit order, starting at 1. */
  position: bigint;
  domain: string;
  edition: string;
  root: Uint8Array;
  correlationId: string;
  page: EventPage;
  /** The `traceparent` the page was appended with (AppendOptions.traceparent), when there was one. */
  traceparent?: string;
}

/** An aggregate's snapshot and the encoded pages after it (EventStore.getEncodedHistory). */
export interface EncodedHistory {
  snapshot: SnapshotRecord | undefined;
  pages: EncodedPages;
  /**
   * A split load (HistoryWindows): the pages after `pages` that were not read, sequences
   * [from, to] of the main timeline as it stood at the read (to be read with getEncodedRange).
   */
  rest?: { from: number; to: number };
}

/** How a long load of the main timeline may be split (EventStore.getEncodedHistory). */
export interface HistoryWindows {
  /** Split when more than this many pages follow the snapshot. */
  above: number;
  /** Pages per window when split: the first window is read at once, the rest left to the caller. */
  window: number;
}

/** Pages already encoded for a handler request (see EventStore.getEncodedFrom). */
export interface EncodedPages {
  /**
   * Each page as one `pages` entry of an encoded EventBook (tag 0x1a, length, EventPage bytes),
   * byte for byte what protobuf-es writes for the pages `getFrom` returns.
   */
  bytes: Uint8Array;
  count: number;
  /** Sequence of the last page; undefined when there is none. */
  lastSequence: number | undefined;
}

export interface GlobalReadFilter {
  domain?: string;
  edition?: string;
}

export interface EventStore {
  /**
   * Appends atomically: every page or none. Explicit pages must continue the aggregate exactly
   * from its next sequence (a lower or higher number → SequenceConflictError); `force` pages and
   * pages with no number take the next free numbers. An empty list is a no-op returning [].
   * Returns the pages as stored (numbered, `createdAt` filled with the append time when unset).
   */
  append(ref: AggregateRef, pages: EventPage[], options: AppendOptions): Promise<EventPage[]>;
  /** Every page of the aggregate (composite history for an edition). */
  get(ref: AggregateRef): Promise<EventPage[]>;
  /** Pages with sequence >= from. */
  getFrom(ref: AggregateRef, from: number): Promise<EventPage[]>;
  /**
   * Optional fast path of the aggregate pipeline: what `getFrom(ref, from)` returns, already
   * encoded (no EventPage objects, no protobuf-es encoding). Same validation and errors as getFrom.
   * Backends without it are read through getFrom.
   */
  getEncodedFrom?(ref: AggregateRef, from: number): Promise<EncodedPages>;
  /**
   * Optional: what a command's handler is given, in one call: the aggregate's snapshot and the
   * encoded pages after it (getEncodedFrom from the snapshot's sequence + 1). A backend may answer
   * a hot aggregate from memory but never staler than the store: a write by any connection or
   * process is seen by the next call. Callers must not modify what it returns. With `windows`, a
   * backend may read only the first pages of a long main-timeline history and name the rest.
   */
  getEncodedHistory?(ref: AggregateRef, windows?: HistoryWindows): Promise<EncodedHistory>;
  /**
   * Optional (main timeline only): the encoded pages with `from <= sequence <= to`. Main-timeline
   * pages never change once committed, so ranges read at different moments fit together.
   */
  getEncodedRange?(ref: AggregateRef, from: number, to: number): Promise<EncodedPages>;
  /**
   * Optional: what `get` returns for each of several aggregates, in their order, read in a few
   * queries instead of one per aggregate (a saga fetching thousands of destinations). Backends
   * without it are read through `get`, one by one.
   */
  getMany?(refs: AggregateRef[]): Promise<EventPage[][]>;
  /** Pages with from <= sequence <= to (inclusive both ends). */
  getRange(ref: AggregateRef, from: number, to: number): Promise<EventPage[]>;
  /** Pages created at or before `time`. */
  getUntil(ref: AggregateRef, time: Timestamp): Promise<EventPage[]>;
  /**
   * Every aggregate holding events with this correlation id, one book per aggregate carrying only
   * those events, ordered by (domain, edition, root text). Covers carry the correlation id.
   */
  getByCorrelation(correlationId: string): Promise<EventBook[]>;
  /**
   * The correlation id of each page the aggregate's own timeline holds (no inherited main pages
   * for an edition), ascending by sequence. Pages on the wire do not carry it; operators do need it.
   */
  correlations(ref: AggregateRef): Promise<{ sequence: number; correlationId: string }[]>;
  /** Roots with events in (domain, edition), ascending by root bytes. */
  listRoots(domain: string, edition: string): Promise<Uint8Array[]>;
  /** Every (domain, edition) pair holding events, sorted. */
  listAggregates(): Promise<{ domain: string; edition: string; root: Uint8Array }[]>;
  /** Domains holding events (any edition), sorted. */
  listDomains(): Promise<string[]>;
  /** Last sequence + 1 (composite for editions), else 0. Snapshots are not consulted. */
  nextSequence(ref: AggregateRef): Promise<number>;
  /** Deletes the edition's events of one domain. Main timeline → InvalidInputError. Returns the count. */
  deleteEdition(domain: string, edition: string): Promise<number>;
  /**
   * Events written into the edition itself (not the inherited main-timeline ones), per domain,
   * sorted by domain; domains without any are left out. Main timeline → InvalidInputError.
   */
  countEdition(edition: string): Promise<{ domain: string; events: number }[]>;
  /** Events after `afterPosition` in global order, at most `limit`, never skipping a late commit. */
  readAll(afterPosition: bigint, limit: number, filter?: GlobalReadFilter): Promise<StoredEvent[]>;
  /** Highest position a reader may safely have seen (0n when empty). */
  headPosition(): Promise<bigint>;
}

export interface SnapshotStore {
  get(ref: AggregateRef): Promise<SnapshotRecord | undefined>;
  /** Replaces any snapshot of the aggregate. */
  put(ref: AggregateRef, snapshot: SnapshotRecord): Promise<void>;
  delete(ref: AggregateRef): Promise<void>;
  /** Removes every snapshot of (domain, edition). Returns the count. */
  deleteEdition(domain: string, edition: string): Promise<number>;
}

/** Checkpoints of async consumers: (consumer, domain, edition) → last processed position. */
export interface PositionStore {
  get(consumer: string, domain: string, edition: string): Promise<bigint | undefined>;
  put(consumer: string, domain: string, edition: string, position: bigint): Promise<void>;
  /** Removes the checkpoint (projection rebuild). */
  reset(consumer: string, domain: string, edition: string): Promise<void>;
  /** Removes every checkpoint of the edition (edition deletion). Main → InvalidInputError. Returns the count. */
  deleteEdition(edition: string): Promise<number>;
}

export interface DeadLetterInput {
  consumer: string;
  domain: string;
  edition: string;
  root: Uint8Array;
  sequence: number;
  correlationId: string;
  reason: string;
  /** The encoded payload that failed (an EventBook or CommandBook), for replay. */
  payloadType: string;
  payload: Uint8Array;
  escalated?: boolean;
  /**
   * Idempotency key: while an entry with this key is not replayed, adding it again returns that
   * entry's id and adds nothing (a case parked twice after a crash is listed once).
   */
  key?: string;
}

export interface DeadLetterEntry extends DeadLetterInput {
  id: number;
  escalated: boolean;
  createdAt: Date;
  replayedAt?: Date;
}

export interface DeadLetterStore {
  add(entry: DeadLetterInput): Promise<number>;
  list(options?: { includeReplayed?: boolean; consumer?: string }): Promise<DeadLetterEntry[]>;
  fetch(id: number): Promise<DeadLetterEntry | undefined>;
  /** Marks replayed; unknown id → NotFoundError. */
  markReplayed(id: number): Promise<void>;
  /** Removes the entry for good (an operator discarded it); unknown id → NotFoundError. */
  remove(id: number): Promise<void>;
}

/** Idempotency of saga/PM effects: has this component handled this source page? */
export interface CausationKey {
  component: string;
  domain: string;
  edition: string;
  root: Uint8Array;
  sequence: number;
}

export interface CausationStore {
  /** Records the causation; false when it was already recorded (nothing changes then). */
  record(key: CausationKey, outcome?: Uint8Array): Promise<boolean>;
  has(key: CausationKey): Promise<boolean>;
  /** The outcome stored with the record, if any. */
  outcome(key: CausationKey): Promise<Uint8Array | undefined>;
  /**
   * Forgets every record whose source is on the edition (edition deletion: a re-created edition
   * of the same name starts afresh). Main → InvalidInputError. Returns the count.
   */
  deleteEdition(edition: string): Promise<number>;
}

/**
 * A delivery a saga or process manager decided (a command, a compensation), kept in the outbox
 * until it is delivered, refused or parked. Written in the same transaction as the reaction that
 * decided it, so a crash between deciding and delivering loses nothing.
 */
export interface OutboxInput {
  /** The trigger whose reaction decided it (that reaction's causation key). */
  cause: CausationKey;
  /** Unique among the cause's entries, e.g. "command-0", "command-0#compensation". */
  name: string;
  /** Entries of one lane are delivered one after the other in id order (e.g. saga + source aggregate). */
  lane: string;
  /** What the dispatcher does with it ("command", "compensation", ...): opaque to the store. */
  kind: string;
  /** The encoded delivery (e.g. a CommandBook). */
  payload: Uint8Array;
  /**
   * W3C `traceparent` of the reaction that decided it (absent when untraced): the delivery, now
   * or after a restart, continues that trace.
   */
  traceparent?: string;
}

export type OutboxStatus = "pending" | "delivered" | "rejected" | "parked";

export interface OutboxEntry extends OutboxInput {
  /** Store-assigned, increasing in commit order within a lane. */
  id: number;
  status: OutboxStatus;
  /** Failed delivery attempts so far. */
  attempts: number;
  /** Epoch milliseconds from which a pending entry may be tried again (0: at once). */
  dueAt: number;
  /** The last failure ("" when none). */
  lastError: string;
  /** What the delivery caused, stored when settled (opaque to the store). */
  result?: Uint8Array;
  createdAt: Date;
}

/** Pages for one aggregate inside an outbox write (sequence-checked like EventStore.append). */
export interface OutboxAppend {
  ref: AggregateRef;
  pages: EventPage[];
  correlationId: string;
}

/**
 * One atomic step of the reactive path: every part is written, or nothing is. Two guards make a
 * repeated step a no-op: the causations (already recorded → "duplicate") and the settled entry
 * (no longer pending → "duplicate"). A sequence conflict in `appends` → "conflict".
 */
export interface OutboxWrite {
  /** Recorded with the write; when any is already recorded, nothing is written. */
  causations?: CausationKey[];
  /**
   * What the write caused, computed inside it from the stored pages of `appends` (in their order,
   * numbered): kept with the last causation, and as the settled entry's result.
   */
  outcome?: (stored: EventPage[][]) => Uint8Array;
  /** The pending entry this write settles; when it is no longer pending, nothing is written. */
  settle?: { id: number; status: Exclude<OutboxStatus, "pending"> };
  appends?: OutboxAppend[];
  /** New pending entries. */
  enqueue?: OutboxInput[];
  deadLetter?: DeadLetterInput;
}

export type OutboxWriteResult =
  | { kind: "written"; stored: EventPage[][]; enqueued: OutboxEntry[] }
  | { kind: "duplicate" }
  | { kind: "conflict"; expected: number; actual: number };

/** The outbox of sagas and process managers, in the same database as events and causations. */
export interface OutboxStore {
  /**
   * Applies each write atomically; a refused write (duplicate, conflict) writes nothing and the
   * others still apply. The writes of one call may share a transaction (one commit for a batch).
   * Malformed input → InvalidInputError before anything is written.
   */
  write(writes: OutboxWrite[]): Promise<OutboxWriteResult[]>;
  /** Pending entries in id order, at most `limit`; of one lane when given; after an id when given. */
  pending(options: { limit: number; lane?: string; afterId?: number }): Promise<OutboxEntry[]>;
  /** The entries one cause led to, any status, in id order. */
  byCause(cause: CausationKey): Promise<OutboxEntry[]>;
  get(id: number): Promise<OutboxEntry | undefined>;
  /** Records a failed attempt of a pending entry: attempts + 1, due again at `dueAt`. */
  retryLater(id: number, dueAt: number, error: string): Promise<void>;
}

export interface EditionRecord {
  name: string;
  description: string;
  createdAt: Date;
  /** Branch point from main (the first sequence the edition owns, or a time); none = implicit. */
  divergence?: Divergence;
  /** Branch points of single domains, overriding `divergence` there; sorted by domain. */
  domainDivergences?: { domain: string; divergence: Divergence }[];
}

export interface EditionStore {
  /** Main-timeline names or a duplicate → InvalidInputError / AlreadyExistsError. */
  create(record: EditionRecord): Promise<void>;
  get(name: string): Promise<EditionRecord | undefined>;
  list(): Promise<EditionRecord[]>;
  /** Unknown name → UnknownEditionError. */
  delete(name: string): Promise<void>;
}

/** Everything one backend provides. */
export interface Storage {
  readonly backend: "memory" | "sqlite" | "postgres";
  readonly events: EventStore;
  readonly snapshots: SnapshotStore;
  readonly positions: PositionStore;
  readonly deadLetters: DeadLetterStore;
  readonly causations: CausationStore;
  readonly editions: EditionStore;
  readonly outbox: OutboxStore;
  close(): Promise<void>;
}
