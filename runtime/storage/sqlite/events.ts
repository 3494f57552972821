// EventStore on bun:sqlite. Pages live in one WITHOUT ROWID table keyed by
// (domain, edition, root, sequence). Global positions are max + 1 (never below the floor a delete
// leaves), taken inside the same BEGIN IMMEDIATE transaction as the insert, so they are handed
// out in commit order and never twice.
import { Covers, Editions, type EventBook, EventBooks, type EventPage, Timestamps } from "@angzarr/proto";
import type { Any, Timestamp } from "@bufbuild/protobuf/wkt";
import { concatEncoded, encodePageRows } from "../encoded-pages";
import { CausationRecordedError, InvalidInputError, MAX_SEQUENCE, SequenceConflictError } from "../errors";
import type {
  AggregateRef,
  AppendOptions,
  EncodedHistory,
  EncodedPages,
  EventStore,
  GlobalReadFilter,
  HistoryWindows,
  StoredEvent,
} from "../types";
import { CAUSATION_INSERT, validKey as validCausation } from "./causations";
import type { SqliteDb, Stmt } from "./db";
import { type CachedHistory, historyKey, nextOf, storedNextOf } from "./history-cache";
import { SNAPSHOT_UPSERT, SqliteSnapshotStore } from "./snapshots";
import * as check from "./validate";

/** sequence, created_s, created_n, type_url, payload */
type PageRow = [number, number, number, string | null, Uint8Array | null];
/** domain, edition, root, then a PageRow */
type AggregatePageRow = [string, string, Uint8Array, ...PageRow];
/** position, correlation_id, domain, edition, root, traceparent, then a PageRow */
type LogRow = [number, string, string, string, Uint8Array, string | null, ...PageRow];

/** An inclusive upper bound on created_at. */
interface TimeBound {
  s: number;
  n: number;
}

const PAGE = "sequence, created_s, created_n, type_url, payload";
/** PAGE with the type URL as bytes: no JS string per row (the encoded read copies bytes anyway). */
const PAGE_BYTES = "sequence, created_s, created_n, CAST(type_url AS BLOB), payload";
/** A global-log row: where the page sits in the log, then the page. */
const LOG_COLUMNS = `position, correlation_id, domain, edition, root, traceparent, ${PAGE}`;
/**
 * One timeline (domain, edition) after a position: a range of events_timeline_position in
 * position order (migration 18), whatever the other domains hold after that position.
 */
export const TIMELINE_LOG_SQL = `SELECT ${LOG_COLUMNS} FROM events
  WHERE domain = ?2 AND edition = ?3 AND position > ?1 ORDER BY position LIMIT ?4`;
const AGGREGATE = "domain = ?1 AND edition = ?2 AND root = ?3";
const RANGE = "sequence BETWEEN ?4 AND ?5";
/** Aggregates read by one statement of getMany. */
const MANY_ROOTS = 128;
const UNTIL = "(created_s < ?6 OR (created_s = ?6 AND created_n <= ?7))";

function bound(ts: Timestamp): TimeBound {
  return { s: Number(ts.seconds), n: ts.nanos };
}

function earlier(a: TimeBound | undefined, b: TimeBound | undefined): TimeBound | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a.s < b.s || (a.s === b.s && a.n <= b.n) ? a : b;
}

/** Decodes rows into pages starting at column `at`, appending to `out`. */
function decode(rows: unknown[][], at: number, out: EventPage[]): EventPage[] {
  let lastSeconds = Number.NaN;
  let seconds = 0n;
  for (const row of rows) {
    const s = row[at + 1] as number;
    if (s !== lastSeconds) {
      lastSeconds = s;
      seconds = BigInt(s);
    }
    out.push(
      page(row[at] as number, seconds, row[at + 2] as number, row[at + 3] as string | null, row[at + 4]),
    );
  }
  return out;
}

// Built as literals: the same plain objects `create()` returns for these proto3 messages, without
// its per-field initialisation (a third of the read time for 100k pages).
function page(
  num: number,
  seconds: bigint,
  nanos: number,
  typeUrl: string | null,
  payload: unknown,
): EventPage {
  const createdAt: Timestamp = { $typeName: "google.protobuf.Timestamp", seconds, nanos };
  if (typeUrl === null) {
    return { $typeName: "angzarr.EventPage", sequence: { case: "num", value: num }, createdAt };
  }
  const event: Any = {
    $typeName: "google.protobuf.Any",
    typeUrl,
    value: payload instanceof Uint8Array ? payload : new Uint8Array(0),
  };
  return { $typeName: "angzarr.EventPage", sequence: { case: "num", value: num }, createdAt, event };
}

/** One page of an append, checked (see checkPages). */
export interface PageInput {
  explicit: number | undefined;
  createdAt: Timestamp;
  event: Any | undefined;
}

/** Checks pages before a write; pages without created_at get the current time. */
export function checkPages(pages: EventPage[]): PageInput[] {
  const now = Timestamps.now();
  return pages.map((p, i) => {
    check.object(p, `page ${i}`);
    const explicit =
      p.sequence?.case === "num" ? check.sequence(p.sequence.value, `page ${i} sequence`) : undefined;
    const createdAt = p.createdAt === undefined ? now : check.timestamp(p.createdAt, `page ${i} created_at`);
    const event = p.event === undefined ? undefined : check.any(p.event, `page ${i} event`);
    return { explicit, createdAt, event };
  });
}

const NO_PAGES: EncodedPages = { bytes: new Uint8Array(0), count: 0, lastSequence: undefined };

/**
 * What an append just committed makes known about the aggregate's load, at `version` (read in
 * its transaction): its snapshot with nothing after it, or the cached load `base` (when it was
 * current at the same version and ends where the append starts) followed by the new pages.
 */
function afterAppend(
  base: CachedHistory | undefined,
  version: number,
  inputs: PageInput[],
  next: number,
  snapshot: Any | undefined,
): () => CachedHistory | undefined {
  return () => {
    if (snapshot !== undefined) {
      const state: Any = {
        $typeName: "google.protobuf.Any",
        typeUrl: snapshot.typeUrl,
        value: snapshot.value,
      };
      const last = next + inputs.length - 1;
      return { version, snapshot: { sequence: last, state }, pages: NO_PAGES, last };
    }
    if (base === undefined || base.version !== version || nextOf(base) !== next) return undefined;
    const rows = inputs.map(({ createdAt, event }, i) => [
      next + i,
      Number(createdAt.seconds),
      createdAt.nanos,
      event === undefined ? null : event.typeUrl,
      event === undefined ? null : event.value,
    ]);
    return { version, snapshot: base.snapshot, pages: concatEncoded(base.pages, encodePageRows(rows)) };
  };
}

function sameRoot(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class SqliteEventStore implements EventStore {
  private readonly pages: Stmt;
  private readonly pagesUntil: Stmt;
  private readonly pageBytes: Stmt;
  private readonly pageBytesUntil: Stmt;
  private readonly minSequence: Stmt;
  private readonly maxSequence: Stmt;
  private readonly maxSequenceUntil: Stmt;
  private readonly insert: Stmt;
  private readonly claimCausation: Stmt;
  private readonly head: Stmt;
  private readonly raiseFloor: Stmt;
  private readonly upsertSnapshot: Stmt;
  private readonly byCorrelation: Stmt;
  private readonly roots: Stmt;
  private readonly correlationsStmt: Stmt;
  private readonly aggregates: Stmt;
  private readonly domains: Stmt;
  private readonly deleteEditionStmt: Stmt;
  private readonly countEditionStmt: Stmt;
  private readonly log: Stmt;
  private readonly timelineLog: Stmt;
  private readonly snapshots: SqliteSnapshotStore;
  private readonly manyStmt: Stmt;

  constructor(private readonly db: SqliteDb) {
    this.snapshots = new SqliteSnapshotStore(db);
    const roots = Array.from({ length: MANY_ROOTS }, (_, i) => `?${i + 2}`).join(", ");
    this.manyStmt = db.prepare(
      `SELECT root, ${PAGE} FROM events WHERE domain = ?1 AND edition = '' AND root IN (${roots})
       ORDER BY root, sequence`,
    );
    this.pages = db.prepare(`SELECT ${PAGE} FROM events WHERE ${AGGREGATE} AND ${RANGE} ORDER BY sequence`);
    this.pagesUntil = db.prepare(
      `SELECT ${PAGE} FROM events WHERE ${AGGREGATE} AND ${RANGE} AND ${UNTIL} ORDER BY sequence`,
    );
    this.pageBytes = db.prepare(
      `SELECT ${PAGE_BYTES} FROM events WHERE ${AGGREGATE} AND ${RANGE} ORDER BY sequence`,
    );
    this.pageBytesUntil = db.prepare(
      `SELECT ${PAGE_BYTES} FROM events WHERE ${AGGREGATE} AND ${RANGE} AND ${UNTIL} ORDER BY sequence`,
    );
    // Index seeks (ORDER BY … LIMIT 1) rather than min()/max(), so a range never scans.
    this.minSequence = db.prepare(`SELECT sequence FROM events WHERE ${AGGREGATE} ORDER BY sequence LIMIT 1`);
    this.maxSequence = db.prepare(
      `SELECT sequence FROM events WHERE ${AGGREGATE} AND ${RANGE} ORDER BY sequence DESC LIMIT 1`,
    );
    this.maxSequenceUntil = db.prepare(
      `SELECT sequence FROM events WHERE ${AGGREGATE} AND ${RANGE} AND ${UNTIL} ORDER BY sequence DESC LIMIT 1`,
    );
    this.claimCausation = db.prepare(CAUSATION_INSERT);
    this.insert = db.prepare(
      `INSERT INTO events (domain, edition, root, sequence, created_s, created_n, type_url, payload,
         correlation_id, position, traceparent) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)`,
    );
    this.head = db.prepare(
      `SELECT max((SELECT coalesce(max(position), 0) FROM events),
                  (SELECT coalesce(max(position), 0) FROM event_log_floor))`,
    );
    this.raiseFloor = db.prepare(
      `INSERT INTO event_log_floor (id, position) SELECT 1, coalesce(max(position), 0) FROM events WHERE true
       ON CONFLICT (id) DO UPDATE SET position = max(position, excluded.position)`,
    );
    this.upsertSnapshot = db.prepare(SNAPSHOT_UPSERT);
    this.byCorrelation = db.prepare(
      `SELECT domain, edition, root, ${PAGE} FROM events WHERE correlation_id = ?1
       ORDER BY domain, edition, root, sequence`,
    );
    this.correlationsStmt = db.prepare(
      `SELECT sequence, correlation_id FROM events WHERE domain = ?1 AND edition = ?2 AND root = ?3
       ORDER BY sequence`,
    );
    this.roots = db.prepare(
      "SELECT DISTINCT root FROM events WHERE domain = ?1 AND edition = ?2 ORDER BY root",
    );
    this.aggregates = db.prepare(
      "SELECT DISTINCT domain, edition, root FROM events ORDER BY domain, edition, root",
    );
    this.domains = db.prepare("SELECT DISTINCT domain FROM events ORDER BY domain");
    this.deleteEditionStmt = db.prepare("DELETE FROM events WHERE domain = ?1 AND edition = ?2");
    this.countEditionStmt = db.prepare("SELECT count(*) FROM events WHERE domain = ?1 AND edition = ?2");
    this.log = db.prepare(
      `SELECT ${LOG_COLUMNS} FROM events
       WHERE position > ?1 AND (?2 IS NULL OR domain = ?2) AND (?3 IS NULL OR edition = ?3)
       ORDER BY position LIMIT ?4`,
    );
    this.timelineLog = db.prepare(TIMELINE_LOG_SQL);
  }

  async append(target: AggregateRef, pages: EventPage[], options: AppendOptions): Promise<EventPage[]> {
    const ref = check.ref(target);
    if (!Array.isArray(pages)) throw new InvalidInputError("pages must be an array");
    check.object(options, "append options");
    const correlationId = check.text(options.correlationId, "correlation id");
    const snapshot =
      options.snapshotState === undefined ? undefined : check.any(options.snapshotState, "snapshot");
    if (pages.length === 0) return [];
    const inputs = checkPages(pages);

    const { domain, edition, root } = ref;
    const causation = options.causation === undefined ? undefined : validCausation(options.causation);
    const key = edition === "" ? historyKey(domain, root) : undefined;
    let known: { generation: number; entry: () => CachedHistory | undefined } | undefined;
    const stored = await this.db.writeGrouped(`append to ${domain}/${edition || "main"}`, () => {
      // Inside the write transaction: no other connection commits until ours does, so a cached
      // load still current at this data_version tells the next sequence without asking the file.
      const base = key === undefined ? undefined : this.db.histories.peek(key);
      const version = key === undefined ? 0 : this.db.dataVersion();
      const next = this.checkNumbers(
        ref,
        inputs,
        0,
        base !== undefined && base.version === version ? storedNextOf(base) : undefined,
      );
      if (options.expectedNext !== undefined && next !== options.expectedNext) {
        throw new SequenceConflictError(options.expectedNext, next);
      }
      // Typed refusals are all thrown above or here, before anything is written (writeGrouped
      // relies on it). The causation claim writes nothing when it fails.
      if (causation !== undefined) {
        const { component, domain: d, edition: e, root: r, sequence: n } = causation;
        if (this.claimCausation.run(component, d, e, r, n, null).changes === 0) {
          throw new CausationRecordedError(component);
        }
      }
      const stored = this.insertPages(ref, inputs, correlationId, next, options.traceparent);
      if (snapshot !== undefined) {
        this.upsertSnapshot.run(
          domain,
          edition,
          root,
          next + inputs.length - 1,
          snapshot.typeUrl,
          snapshot.value,
        );
      }
      if (key !== undefined) {
        known = {
          generation: this.db.histories.written(key),
          // Inside the write transaction: no other connection commits until ours does.
          entry: afterAppend(base, version, inputs, next, snapshot),
        };
      }
      return stored;
    });
    if (key !== undefined && known !== undefined)
      this.db.histories.settle(key, known.generation, known.entry);
    return stored;
  }

  /**
   * Inside a write transaction: the number the first page gets, after checking explicit numbers
   * (SequenceConflictError, nothing written). `before`: pages already planned for this aggregate
   * in the same transaction but not inserted yet. `known`: the aggregate's next sequence in the
   * file when the caller knows it for certain (a current cached load), instead of asking.
   */
  checkNumbers(ref: AggregateRef, inputs: PageInput[], before = 0, known?: number): number {
    const next = (known ?? this.nextIn(ref)) + before;
    let sequence = next;
    for (const input of inputs) {
      if (input.explicit !== undefined && input.explicit !== sequence) {
        throw new SequenceConflictError(sequence, input.explicit);
      }
      sequence++;
    }
    if (sequence - 1 > MAX_SEQUENCE) {
      throw new InvalidInputError(`sequence would pass ${MAX_SEQUENCE} (next is ${next})`);
    }
    return next;
  }

  /** Inside a write transaction: inserts checked pages from `next` on, with fresh global positions. */
  insertPages(
    ref: AggregateRef,
    inputs: PageInput[],
    correlationId: string,
    next: number,
    traceparent?: string,
  ): EventPage[] {
    const { domain, edition, root } = ref;
    if (edition === "") this.db.histories.written(historyKey(domain, root));
    let position = (this.head.values()[0]?.[0] as number) + 1;
    let sequence = next;
    const stored: EventPage[] = [];
    for (const { createdAt, event } of inputs) {
      this.insert.run(
        domain,
        edition,
        root,
        sequence,
        Number(createdAt.seconds),
        createdAt.nanos,
        event === undefined ? null : event.typeUrl,
        event === undefined ? null : event.value,
        correlationId,
        position,
        traceparent ?? null,
      );
      stored.push(
        event === undefined
          ? { $typeName: "angzarr.EventPage", sequence: { case: "num", value: sequence }, createdAt }
          : {
              $typeName: "angzarr.EventPage",
              sequence: { case: "num", value: sequence },
              createdAt,
              event,
            },
      );
      sequence++;
      position++;
    }
    return stored;
  }

  async get(target: AggregateRef): Promise<EventPage[]> {
    const ref = check.ref(target);
    return this.read(ref, 0, MAX_SEQUENCE, undefined);
  }

  /**
   * Main-timeline aggregates of one domain are read MANY_ROOTS at a time by one statement (roots
   * padded by repeating the last one, so one statement serves every batch); edition aggregates
   * one by one, as `get`.
   */
  async getMany(targets: AggregateRef[]): Promise<EventPage[][]> {
    if (!Array.isArray(targets)) throw new InvalidInputError("refs must be an array");
    const refs = targets.map((r) => check.ref(r));
    const out: EventPage[][] = new Array(refs.length);
    const mainByDomain = new Map<string, number[]>();
    refs.forEach((ref, i) => {
      if (ref.edition !== "") out[i] = this.read(ref, 0, MAX_SEQUENCE, undefined);
      else mainByDomain.set(ref.domain, [...(mainByDomain.get(ref.domain) ?? []), i]);
    });
    for (const [domain, indices] of mainByDomain) {
      for (let start = 0; start < indices.length; start += MANY_ROOTS) {
        const batch = indices.slice(start, start + MANY_ROOTS);
        const roots = batch.map((i) => (refs[i] as AggregateRef).root);
        while (roots.length < MANY_ROOTS) roots.push(roots.at(-1) as Uint8Array);
        const rows = this.db.read(`read ${domain}`, () =>
          this.manyStmt.values(domain, ...roots),
        ) as unknown[][];
        const byRoot = new Map<string, unknown[][]>();
        for (const row of rows) {
          const key = Buffer.from(row[0] as Uint8Array).toString("latin1");
          const list = byRoot.get(key);
          if (list) list.push(row);
          else byRoot.set(key, [row]);
        }
        for (const i of batch) {
          const key = Buffer.from((refs[i] as AggregateRef).root).toString("latin1");
          out[i] = decode(byRoot.get(key) ?? [], 1, []);
        }
      }
    }
    return out;
  }

  async getFrom(target: AggregateRef, from: number): Promise<EventPage[]> {
    const ref = check.ref(target);
    return this.read(ref, check.sequence(from, "from"), MAX_SEQUENCE, undefined);
  }

  async getEncodedFrom(target: AggregateRef, from: number): Promise<EncodedPages> {
    const ref = check.ref(target);
    const lo = check.sequence(from, "from");
    const { domain, edition, root } = ref;
    if (edition === "") {
      return this.db.read(`read ${domain}`, () =>
        encodePageRows(this.rows(domain, "", root, lo, MAX_SEQUENCE, undefined, true)),
      );
    }
    return this.db.snapshot(`read ${domain}/${edition}`, () => {
      const { cap, since } = this.branch(ref);
      const mainHi = Math.min(MAX_SEQUENCE, cap - 1);
      const inherited = mainHi >= lo ? this.rows(domain, "", root, lo, mainHi, since, true) : [];
      return concatEncoded(
        encodePageRows(inherited),
        encodePageRows(this.rows(domain, edition, root, lo, MAX_SEQUENCE, undefined, true)),
      );
    });
  }

  async getEncodedHistory(target: AggregateRef, windows?: HistoryWindows): Promise<EncodedHistory> {
    const ref = check.ref(target);
    const { domain, edition, root } = ref;
    if (edition !== "") {
      const snapshot = await this.snapshots.get(ref);
      return { snapshot, pages: await this.getEncodedFrom(ref, snapshot ? snapshot.sequence + 1 : 0) };
    }
    return this.db.read(`read ${domain}`, () => {
      const key = historyKey(domain, root);
      // Taken before the reads: a commit racing them can only make the entry look older.
      const version = this.db.dataVersion();
      const cached = this.db.histories.get(key, version);
      if (cached !== undefined) return cached;
      const snapshot = this.snapshots.read(domain, "", root);
      const from = snapshot ? snapshot.sequence + 1 : 0;
      if (windows !== undefined) {
        const split = this.firstWindow(domain, root, from, windows);
        if (split !== undefined) return { snapshot, ...split };
      }
      const pages = encodePageRows(this.rows(domain, "", root, from, MAX_SEQUENCE, undefined, true));
      const entry: CachedHistory = { version, snapshot, pages };
      this.db.histories.put(key, entry);
      return entry;
    });
  }

  /**
   * The first `windows.window` pages from `from` and the range of the rest, when more than
   * `windows.above` pages of the main timeline follow `from` (sequences there have no gaps: the
   * count is the head's distance). Undefined otherwise, or when the pages read do not end where
   * a gap-free timeline would (the caller then reads them all).
   */
  private firstWindow(
    domain: string,
    root: Uint8Array,
    from: number,
    windows: HistoryWindows,
  ): Pick<EncodedHistory, "pages" | "rest"> | undefined {
    const last = this.maxSequence.values(domain, "", root, from, MAX_SEQUENCE)[0]?.[0] as number | undefined;
    if (last === undefined || last - from + 1 <= windows.above) return undefined;
    const end = from + windows.window - 1;
    const pages = encodePageRows(this.rows(domain, "", root, from, end, undefined, true));
    if (pages.count !== windows.window || pages.lastSequence !== end) return undefined;
    return { pages, rest: { from: end + 1, to: last } };
  }

  async getEncodedRange(target: AggregateRef, from: number, to: number): Promise<EncodedPages> {
    const ref = check.ref(target);
    const lo = check.sequence(from, "from");
    const hi = check.sequence(to, "to");
    if (ref.edition !== "") throw new InvalidInputError("getEncodedRange reads the main timeline only");
    if (lo > hi) return NO_PAGES;
    return this.db.read(`read ${ref.domain}`, () =>
      encodePageRows(this.rows(ref.domain, "", ref.root, lo, hi, undefined, true)),
    );
  }

  async getRange(target: AggregateRef, from: number, to: number): Promise<EventPage[]> {
    const ref = check.ref(target);
    check.sequence(from, "from");
    check.sequence(to, "to");
    return from > to ? [] : this.read(ref, from, to, undefined);
  }

  async getUntil(target: AggregateRef, time: Timestamp): Promise<EventPage[]> {
    const ref = check.ref(target);
    return this.read(ref, 0, MAX_SEQUENCE, bound(check.timestamp(time, "time")));
  }

  async getByCorrelation(correlationId: string): Promise<EventBook[]> {
    check.text(correlationId, "correlation id");
    if (correlationId === "") return [];
    const rows = this.db.read("read by correlation", () =>
      this.byCorrelation.values(correlationId),
    ) as AggregatePageRow[];
    const books: EventBook[] = [];
    let start = 0;
    for (let i = 1; i <= rows.length; i++) {
      const first = rows[start] as AggregatePageRow;
      const row = rows[i];
      if (row !== undefined && row[0] === first[0] && row[1] === first[1] && sameRoot(row[2], first[2]))
        continue;
      const cover = Covers.make({ domain: first[0], edition: first[1], root: first[2], correlationId });
      books.push(EventBooks.make(cover, decode(rows.slice(start, i), 3, [])));
      start = i;
    }
    return books;
  }

  async correlations(target: AggregateRef): Promise<{ sequence: number; correlationId: string }[]> {
    const ref = check.ref(target);
    const rows = this.db.read("read correlations", () =>
      this.correlationsStmt.values(ref.domain, ref.edition, ref.root),
    ) as [number, string][];
    return rows.map(([sequence, correlationId]) => ({ sequence, correlationId }));
  }

  async listRoots(domain: string, name: string): Promise<Uint8Array[]> {
    check.text(domain, "domain");
    const edition = check.edition(name);
    const rows = this.db.read("list roots", () => this.roots.values(domain, edition)) as [Uint8Array][];
    return rows.map((r) => r[0]);
  }

  async listAggregates(): Promise<{ domain: string; edition: string; root: Uint8Array }[]> {
    const rows = this.db.read("list aggregates", () => this.aggregates.values()) as [
      string,
      string,
      Uint8Array,
    ][];
    return rows.map(([domain, edition, root]) => ({ domain, edition, root }));
  }

  async listDomains(): Promise<string[]> {
    const rows = this.db.read("list domains", () => this.domains.values()) as [string][];
    return rows.map((r) => r[0]);
  }

  async nextSequence(target: AggregateRef): Promise<number> {
    const ref = check.ref(target);
    const what = `next sequence of ${ref.domain}`;
    return ref.edition === ""
      ? this.db.read(what, () => this.nextIn(ref))
      : this.db.snapshot(what, () => this.nextIn(ref));
  }

  async deleteEdition(domain: string, name: string): Promise<number> {
    check.text(domain, "domain");
    const edition = check.edition(name);
    if (edition === Editions.MAIN) throw new InvalidInputError("Cannot delete main timeline events");
    return this.db.write(`delete edition ${edition} of ${domain}`, () => {
      this.raiseFloor.run();
      return this.deleteEditionStmt.run(domain, edition).changes;
    });
  }

  async countEdition(name: string): Promise<{ domain: string; events: number }[]> {
    const edition = check.edition(name);
    if (edition === Editions.MAIN) {
      throw new InvalidInputError("Count the events of an edition, not of the main timeline");
    }
    // One primary-key range per domain: (domain, edition) is the key's prefix.
    return this.db.read(`count the events of edition ${edition}`, () => {
      const out: { domain: string; events: number }[] = [];
      for (const [domain] of this.domains.values() as [string][]) {
        const events = (this.countEditionStmt.values(domain, edition)[0]?.[0] as number | undefined) ?? 0;
        if (events > 0) out.push({ domain, events });
      }
      return out;
    });
  }

  async readAll(afterPosition: bigint, limit: number, filter?: GlobalReadFilter): Promise<StoredEvent[]> {
    check.position(afterPosition, "after position");
    check.count(limit, "limit");
    const domain = filter?.domain === undefined ? null : check.text(filter.domain, "filter domain");
    const edition = filter?.edition === undefined ? null : check.edition(filter.edition, "filter edition");
    if (limit === 0) return [];
    const stmt = domain !== null && edition !== null ? this.timelineLog : this.log;
    const rows = this.db.read("read the global log", () =>
      stmt.values(afterPosition, domain, edition, limit),
    ) as LogRow[];
    const pages = decode(rows, 6, []);
    return rows.map((r, i) => ({
      position: BigInt(r[0]),
      correlationId: r[1],
      domain: r[2],
      edition: r[3],
      root: r[4],
      page: pages[i] as EventPage,
      ...(r[5] === null ? {} : { traceparent: r[5] }),
    }));
  }

  async headPosition(): Promise<bigint> {
    return BigInt(this.db.read("read the head position", () => this.head.values()[0]?.[0] as number));
  }

  /** Reads [lo, hi] (and created at or before `until`) of the aggregate's composite history. */
  private read(ref: AggregateRef, lo: number, hi: number, until: TimeBound | undefined): EventPage[] {
    const { domain, edition, root } = ref;
    if (edition === "") {
      return this.db.read(`read ${domain}`, () => decode(this.rows(domain, "", root, lo, hi, until), 0, []));
    }
    return this.db.snapshot(`read ${domain}/${edition}`, () => {
      const { cap, since } = this.branch(ref);
      const out: EventPage[] = [];
      const mainHi = Math.min(hi, cap - 1);
      if (mainHi >= lo) decode(this.rows(domain, "", root, lo, mainHi, earlier(until, since)), 0, out);
      return decode(this.rows(domain, edition, root, lo, hi, until), 0, out);
    });
  }

  /** Page rows of [lo, hi]; `typeBytes`: the type URL as bytes (for the encoded read). */
  private rows(
    domain: string,
    edition: string,
    root: Uint8Array,
    lo: number,
    hi: number,
    until?: TimeBound,
    typeBytes = false,
  ): PageRow[] {
    const [all, bounded] = typeBytes ? [this.pageBytes, this.pageBytesUntil] : [this.pages, this.pagesUntil];
    const rows = (
      until === undefined
        ? all.values(domain, edition, root, lo, hi)
        : bounded.values(domain, edition, root, lo, hi, until.s, until.n)
    ) as PageRow[];
    this.db.readRows(rows.length);
    return rows;
  }

  /**
   * Which main-timeline pages an edition aggregate inherits: sequences below `cap`, created at or
   * before `since` when the divergence is a time. The edition's own first page always caps it, so
   * inherited and own pages never overlap.
   */
  private branch(ref: AggregateRef): { cap: number; since: TimeBound | undefined } {
    const own = this.minSequence.values(ref.domain, ref.edition, ref.root)[0]?.[0] as
      | number
      | null
      | undefined;
    let cap = own ?? MAX_SEQUENCE + 1;
    let since: TimeBound | undefined;
    const divergence = ref.divergence;
    if (divergence?.kind === "sequence") cap = Math.min(cap, divergence.sequence);
    else if (divergence?.kind === "time") since = bound(divergence.time);
    return { cap, since };
  }

  /** Last composite sequence + 1, else 0. Callers hold a transaction for editions. */
  private nextIn(ref: AggregateRef): number {
    const { domain, edition, root } = ref;
    const ownMax = this.maxSequence.values(domain, edition, root, 0, MAX_SEQUENCE)[0]?.[0] as
      | number
      | undefined;
    if (ownMax !== undefined) return ownMax + 1;
    if (edition === "") return 0;
    const { cap, since } = this.branch(ref);
    if (cap <= 0) return 0;
    const inherited = (
      since === undefined
        ? this.maxSequence.values(domain, "", root, 0, cap - 1)
        : this.maxSequenceUntil.values(domain, "", root, 0, cap - 1, since.s, since.n)
    )[0]?.[0] as number | undefined;
    return inherited === undefined ? 0 : inherited + 1;
  }
}
