// PostgreSQL EventStore: one `events` table for every domain, edition and aggregate.
import {
  Covers,
  Editions,
  type EventBook,
  EventBookSchema,
  type EventPage,
  EventPageSchema,
  EventPages,
  Timestamps,
} from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { AnySchema, type Timestamp, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { encodePageRows } from "../encoded-pages";
import { CausationRecordedError, InvalidInputError, MAX_SEQUENCE, SequenceConflictError } from "../errors";
import type {
  AggregateRef,
  AppendOptions,
  EncodedHistory,
  EncodedPages,
  EventStore,
  GlobalReadFilter,
  StoredEvent,
} from "../types";
import { type AppendOutcome, appendBatcher, type MainAppend } from "./append-batch";
import { byteaArray, integerArray, textArray } from "./array-literal";
import {
  bytes,
  constraintOf,
  guarded,
  num,
  type Sql,
  sqlState,
  toStorageError,
  UNIQUE_VIOLATION,
} from "./client";
import { GroupCommit, type GroupCommitOptions } from "./group-commit";
import { checkCausation } from "./stores";
import {
  checkCount,
  checkEdition,
  checkPosition,
  checkRef,
  checkSequence,
  checkText,
  checkTimestamp,
} from "./validate";

/** Test hooks for the internal append path; never part of the public port. */
export interface AppendHooks {
  /** Runs inside the append transaction after every write, just before COMMIT. */
  beforeCommit?: () => Promise<void>;
}

interface PageRow {
  sequence: bigint;
  type_url: string | null;
  payload: Uint8Array | null;
  created_seconds: bigint;
  created_nanos: number;
}

interface StoredRow extends PageRow {
  position: bigint;
  domain: string;
  edition: string;
  root: Uint8Array;
  correlation_id: string;
  traceparent: string | null;
}

const PAGE_COLUMNS = "sequence, type_url, payload, created_seconds, created_nanos";
/** The columns of a page for encodePageRows (a StoredPageRow: numbers as float8, exact below 2^53). */
const ENCODED_COLUMNS =
  "sequence::float8 AS sequence, created_seconds::float8 AS created_seconds, created_nanos, type_url, payload";
/** The largest position (int8). */
const MAX_POSITION = "9223372036854775807";
/** Main-timeline aggregates read by one statement of getMany. */
const MANY_ROOTS = 128;
/** One past the largest sequence: "no upper bound" for the implicit divergence. */
const BEYOND_SEQUENCES = MAX_SEQUENCE + 1;

/** Extra conditions on a page read, applied to the composite history. */
interface PageFilter {
  from?: number;
  to?: number;
  until?: Timestamp;
}

/** A parameterised SQL text under construction ($1, $2, ... in push order). */
class Query {
  readonly params: unknown[] = [];
  param(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }
}

function pageFromRow(row: PageRow): EventPage {
  return create(EventPageSchema, {
    sequence: { case: "num", value: num(row.sequence) },
    createdAt: create(TimestampSchema, { seconds: BigInt(row.created_seconds), nanos: row.created_nanos }),
    ...(row.type_url === null
      ? {}
      : {
          event: create(AnySchema, { typeUrl: row.type_url, value: bytes(row.payload ?? new Uint8Array()) }),
        }),
  });
}

/** Checks pages before a write (numbers, timestamps, type URLs). */
export function checkPages(pages: EventPage[]): void {
  if (!Array.isArray(pages)) throw new InvalidInputError("pages must be an array");
  for (const page of pages) {
    const explicit = EventPages.sequence(page);
    if (explicit !== undefined) checkSequence(explicit, "page sequence");
    if (page.createdAt) checkTimestamp(page.createdAt, "page createdAt");
    if (page.event) checkText(page.event.typeUrl, "event type URL");
  }
}

/** Explicit page numbers must continue from `next`; nothing may pass the largest sequence. */
export function checkNumbers(pages: EventPage[], next: number): void {
  pages.forEach((page, i) => {
    const want = next + i;
    const explicit = EventPages.sequence(page);
    if (explicit !== undefined && explicit !== want) throw new SequenceConflictError(want, explicit);
    if (want > MAX_SEQUENCE)
      throw new InvalidInputError(`sequence ${want} exceeds the maximum ${MAX_SEQUENCE}`);
  });
}

/**
 * The first sequence explicit page numbers ask for (undefined: none given), or "mixed" when they
 * do not continue one another (the general path reports the conflict).
 */
function expectedFirst(pages: EventPage[]): number | undefined | "mixed" {
  let first: number | undefined;
  for (const [i, page] of pages.entries()) {
    const explicit = EventPages.sequence(page);
    if (explicit === undefined) continue;
    if (first === undefined) first = explicit - i;
    else if (explicit - i !== first) return "mixed";
  }
  return first !== undefined && first < 0 ? "mixed" : first;
}

/** The column arrays of an insert, and the pages as stored when numbered from `next`. */
function pageColumns(pages: EventPage[], next: number, now = Timestamps.now()) {
  const stored: EventPage[] = [];
  const typeUrls: (string | null)[] = [];
  const payloads: (Uint8Array | null)[] = [];
  const seconds: bigint[] = [];
  const nanos: number[] = [];
  pages.forEach((page, i) => {
    const createdAt = page.createdAt ?? now;
    typeUrls.push(page.event ? page.event.typeUrl : null);
    payloads.push(page.event ? page.event.value : null);
    seconds.push(createdAt.seconds);
    nanos.push(createdAt.nanos);
    stored.push(
      create(EventPageSchema, {
        sequence: { case: "num", value: next + i },
        createdAt: create(TimestampSchema, { seconds: createdAt.seconds, nanos: createdAt.nanos }),
        ...(page.event
          ? { event: create(AnySchema, { typeUrl: page.event.typeUrl, value: page.event.value }) }
          : {}),
      }),
    );
  });
  return { stored, typeUrls, payloads, seconds, nanos };
}

interface SnapshotRow {
  sequence: bigint;
  type_url: string;
  payload: Uint8Array;
}

function snapshotOf(row: SnapshotRow) {
  return {
    sequence: num(row.sequence),
    state: create(AnySchema, { typeUrl: row.type_url, value: bytes(row.payload) }),
  };
}

function lockKey(domain: string, edition: string, root: Uint8Array): string {
  return `${domain}\u001f${edition}\u001f${Buffer.from(root).toString("hex")}`;
}

/**
 * The histories of many main-timeline aggregates ($1 domains, $2 roots, pairwise), in order: for
 * each distinct pair, a range of the primary key (domain, edition, root) read in sequence order.
 * Spelled as a lateral read per pair: joined as sets instead, the generic plan a pool connection
 * keeps (planned while the table was young, without statistics) scanned the whole table or the
 * key's edition range for every read. Exported for the test that checks its plan.
 */
export const MANY_ROOTS_QUERY = `
  SELECT e.domain, e.root, e.sequence, e.type_url, e.payload, e.created_seconds, e.created_nanos
  FROM (SELECT DISTINCT d, r FROM unnest($1::text[], $2::bytea[]) AS t(d, r)) t
  CROSS JOIN LATERAL (
    SELECT domain, root, sequence, type_url, payload, created_seconds, created_nanos FROM events
    WHERE domain = t.d AND edition = '' AND root = t.r
    ORDER BY sequence) e
  ORDER BY e.domain, e.root, e.sequence`;

/**
 * The catch-up read of `readAll`: rows after a position below the safe mark, in position order,
 * of a domain and timeline when given (an index range scan on (domain, edition, position), see
 * migration 9). Exported for the test that checks its plan.
 */
export function readAllQuery(
  afterPosition: bigint,
  limit: number,
  domain: string | undefined,
  edition: string | undefined,
): { text: string; params: unknown[] } {
  const q = new Query();
  const after = `${q.param(afterPosition)}::int8`;
  const safe = "tx_id < pg_snapshot_xmin(pg_current_snapshot())";
  const columns = `position, domain, edition, root, correlation_id, traceparent, ${PAGE_COLUMNS}`;
  let text: string;
  if (domain !== undefined && edition !== undefined) {
    // One timeline of one domain: a range of events_timeline_position (migration 9) in its
    // order, up to the limit. Spelled as row bounds on the index's key, without equalities on
    // the columns: with them the generic plan may take the primary key or events_position and
    // filter.
    const timeline = "length(domain)::text || ':' || domain || edition";
    const d = `${q.param(domain)}::text`;
    const key = `(length(${d})::text || ':' || ${d} || ${q.param(edition)}::text)`;
    text = `SELECT ${columns} FROM events
         WHERE (${timeline}, position) > (${key}, ${after})
           AND (${timeline}, position) <= (${key}, ${MAX_POSITION}::int8) AND ${safe}
         ORDER BY ${timeline}, position LIMIT ${q.param(limit)}::int8`;
  } else {
    let where = `position > ${after} AND ${safe}`;
    if (domain !== undefined) where += ` AND domain = ${q.param(domain)}::text`;
    if (edition !== undefined) where += ` AND edition = ${q.param(edition)}::text`;
    text = `SELECT ${columns} FROM events WHERE ${where} ORDER BY position LIMIT ${q.param(limit)}::int8`;
  }
  return { text, params: q.params };
}

export class PostgresEventStore implements EventStore {
  /** Main-timeline appends waiting at the same time share one statement and one commit. */
  private readonly batcher: GroupCommit<MainAppend, AppendOutcome>;
  /**
   * Main-timeline histories that getMany calls ask for at the same time (a saga's lanes each
   * reading its destinations) share one MANY_ROOTS_QUERY statement, as appends share one.
   */
  private readonly manyReads: GroupCommit<AggregateRef, EventPage[]>;

  constructor(
    private readonly sql: Sql,
    batching: GroupCommitOptions = {},
    reads: GroupCommitOptions = {},
  ) {
    this.batcher = appendBatcher(sql, (item) => this.appendOne(item), batching);
    this.manyReads = new GroupCommit<AggregateRef, EventPage[]>(
      {
        single: async (ref) => (await this.readMainMany([ref]))[0] ?? [],
        many: (refs) => this.readMainMany(refs),
      },
      { maxItems: MANY_ROOTS, ...reads },
    );
  }

  append(ref: AggregateRef, pages: EventPage[], options: AppendOptions): Promise<EventPage[]> {
    return this.appendWith(ref, pages, options, {});
  }

  /** `append` with test hooks (see AppendHooks). */
  async appendWith(
    input: AggregateRef,
    pages: EventPage[],
    options: AppendOptions,
    hooks: AppendHooks,
  ): Promise<EventPage[]> {
    const ref = checkRef(input);
    if (!Array.isArray(pages)) throw new InvalidInputError("pages must be an array");
    checkText(options?.correlationId, "correlationId");
    checkPages(pages);
    if (options.snapshotState) checkText(options.snapshotState.typeUrl, "snapshot type URL");
    if (options.causation) checkCausation(options.causation);
    if (pages.length === 0) return [];

    let next = 0;
    let firstExplicit: number | undefined;
    const expected = expectedFirst(pages);
    // Numbered pages that do not start at the writer's expected next cannot continue it either.
    if (
      options.expectedNext !== undefined &&
      typeof expected === "number" &&
      expected !== options.expectedNext
    )
      throw new SequenceConflictError(options.expectedNext, expected);
    if (ref.edition === Editions.MAIN && !hooks.beforeCommit && expected !== "mixed") {
      return this.appendMain(ref, pages, options, expected);
    }
    try {
      return await this.sql.begin(async (tx) => {
        await this.lock(tx, [ref]);
        // Read the next number and take positions (and this transaction's id) in one round trip.
        const q = new Query();
        const last = this.lastSequenceSql(q, ref);
        const [head] = (await tx.unsafe(
          `SELECT (${last}) AS last, alloc_positions(${q.param(pages.length)}::int4) AS first`,
          q.params,
        )) as { last: bigint | null; first: bigint }[];
        next = head?.last === null || head?.last === undefined ? 0 : num(head.last) + 1;
        if (options.expectedNext !== undefined && next !== options.expectedNext) {
          throw new SequenceConflictError(options.expectedNext, next);
        }
        firstExplicit = pages.map((p) => EventPages.sequence(p)).find((n) => n !== undefined);
        checkNumbers(pages, next);

        const causation = options.causation;
        if (causation) {
          const claimed = await tx`
            INSERT INTO causations (component, domain, edition, root, sequence, outcome)
            VALUES (${causation.component}, ${causation.domain}, ${Editions.normalize(causation.edition)},
                    ${causation.root}, ${causation.sequence}, NULL)
            ON CONFLICT DO NOTHING
            RETURNING 1 AS inserted`;
          if (claimed.length === 0) throw new CausationRecordedError(causation.component);
        }

        const stored = await this.insertPages(
          tx,
          ref,
          pages,
          options.correlationId,
          next,
          BigInt(head?.first ?? 0n),
          options.traceparent,
        );
        const snapshot = options.snapshotState;
        if (snapshot) {
          const at = next + pages.length - 1;
          await tx`
            INSERT INTO snapshots (domain, edition, root, sequence, type_url, payload)
            VALUES (${ref.domain}, ${ref.edition}, ${ref.root}, ${at}, ${snapshot.typeUrl}, ${snapshot.value})
            ON CONFLICT (domain, edition, root) DO UPDATE
              SET sequence = EXCLUDED.sequence, type_url = EXCLUDED.type_url,
                  payload = EXCLUDED.payload, updated_at = now()`;
        }
        if (hooks.beforeCommit) await hooks.beforeCommit();
        return stored;
      });
    } catch (error) {
      if (error instanceof CausationRecordedError || error instanceof SequenceConflictError) throw error;
      if (sqlState(error) === UNIQUE_VIOLATION && constraintOf(error) === "events_pkey") {
        // Only reachable if a writer bypassed the aggregate lock; report it as the race it is.
        throw new SequenceConflictError(next, firstExplicit ?? next);
      }
      throw toStorageError("append", error);
    }
  }

  /**
   * Inside a transaction: serialises writers of these aggregates until it ends. An edition's next
   * number depends on the main timeline too, so edition writers also take the main lock. Locks
   * are taken in one sorted order (main before its editions), so writers never wait in a cycle.
   */
  async lock(tx: Sql, refs: AggregateRef[]): Promise<void> {
    const keys = new Set<string>();
    for (const ref of refs) {
      keys.add(lockKey(ref.domain, Editions.MAIN, ref.root));
      if (ref.edition !== Editions.MAIN) keys.add(lockKey(ref.domain, ref.edition, ref.root));
    }
    for (const key of [...keys].sort()) await tx`SELECT pg_advisory_xact_lock(hashtextextended(${key}, 0))`;
  }

  /** Inside a transaction holding the aggregate's lock: last sequence + 1 (composite), else 0. */
  async nextIn(tx: Sql, ref: AggregateRef): Promise<number> {
    const q = new Query();
    const last = this.lastSequenceSql(q, ref);
    const [row] = (await tx.unsafe(`SELECT (${last}) AS last`, q.params)) as { last: bigint | null }[];
    return row?.last === null || row?.last === undefined ? 0 : num(row.last) + 1;
  }

  /**
   * Inside a transaction holding the aggregate's lock, after alloc_positions: inserts the pages
   * numbered from `next`, at global positions from `firstPosition` on.
   */
  async insertPages(
    tx: Sql,
    ref: AggregateRef,
    pages: EventPage[],
    correlationId: string,
    next: number,
    firstPosition: bigint,
    traceparent?: string,
  ): Promise<EventPage[]> {
    const { stored, typeUrls, payloads, seconds, nanos } = pageColumns(pages, next);
    const seqs = pages.map((_, i) => BigInt(next + i));
    const positions = pages.map((_, i) => firstPosition + BigInt(i));
    await tx`
      INSERT INTO events (domain, edition, root, sequence, type_url, payload,
                          created_seconds, created_nanos, correlation_id, position, traceparent)
      SELECT ${ref.domain}, ${ref.edition}, ${ref.root}, t.seq, t.type_url, t.payload,
             t.secs, t.nanos, ${correlationId}, t.pos, ${traceparent ?? null}::text
      FROM unnest(${integerArray(seqs)}::int8[], ${textArray(typeUrls)}::text[],
                  ${byteaArray(payloads)}::bytea[], ${integerArray(seconds)}::int8[],
                  ${integerArray(nanos)}::int4[], ${integerArray(positions)}::int8[])
           AS t(seq, type_url, payload, secs, nanos, pos)`;
    return stored;
  }

  /**
   * A main-timeline append in one statement (append_main, migration 7): lock, number check,
   * positions, causation claim, pages and snapshot in the statement's own transaction; shared
   * with the other main-timeline appends waiting at the same time (append-batch.ts).
   */
  private async appendMain(
    ref: AggregateRef,
    pages: EventPage[],
    options: AppendOptions,
    expected: number | undefined,
  ): Promise<EventPage[]> {
    const now = Timestamps.now();
    const { typeUrls, payloads, seconds, nanos } = pageColumns(pages, 0, now);
    const snapshot = options.snapshotState;
    const c = options.causation;
    let row: AppendOutcome;
    try {
      row = await this.batcher.submit({
        lock: lockKey(ref.domain, Editions.MAIN, ref.root),
        domain: ref.domain,
        root: ref.root,
        // The writer's expected next (when it gives one) refuses the append as numbered pages do.
        expected: options.expectedNext ?? expected ?? null,
        typeUrls,
        payloads,
        seconds,
        nanos,
        correlationId: options.correlationId,
        snapshotType: snapshot ? snapshot.typeUrl : null,
        snapshot: snapshot ? snapshot.value : null,
        causation: c
          ? {
              component: c.component,
              domain: c.domain,
              edition: Editions.normalize(c.edition),
              root: c.root,
              sequence: c.sequence,
            }
          : null,
        traceparent: options.traceparent ?? null,
      });
    } catch (error) {
      if (sqlState(error) === UNIQUE_VIOLATION && constraintOf(error) === "events_pkey") {
        throw new SequenceConflictError(expected ?? 0, expected ?? 0);
      }
      throw toStorageError("append", error);
    }
    const next = num(row.next);
    if (row.outcome === "duplicate" && c) throw new CausationRecordedError(c.component);
    if (row.outcome !== "written") {
      if (options.expectedNext !== undefined && options.expectedNext !== next)
        throw new SequenceConflictError(options.expectedNext, next);
      checkNumbers(pages, next);
      throw toStorageError("append", new Error(`append_main refused pages numbered from ${next}`));
    }
    return pageColumns(pages, next, now).stored;
  }

  /** One main-timeline append in one statement (append_main, migration 7). */
  private async appendOne(item: MainAppend): Promise<AppendOutcome> {
    const sql = this.sql;
    const c = item.causation;
    const [row] = (await sql`
      SELECT r_outcome AS outcome, r_next AS next, r_first AS first FROM append_main(
        ${item.lock}::text, ${item.domain}::text, ${item.root}::bytea,
        ${item.expected}::int8, ${MAX_SEQUENCE}::int8,
        ${textArray(item.typeUrls)}::text[], ${byteaArray(item.payloads)}::bytea[],
        ${integerArray(item.seconds)}::int8[], ${integerArray(item.nanos)}::int4[],
        ${item.correlationId}::text, ${item.snapshotType}::text, ${item.snapshot}::bytea,
        ${c ? c.component : null}::text, ${c ? c.domain : null}::text,
        ${c ? c.edition : null}::text, ${c ? c.root : null}::bytea,
        ${c ? c.sequence : null}::int8, ${item.traceparent}::text)`) as AppendOutcome[];
    if (row === undefined) throw new Error("append_main returned no row");
    return row;
  }

  async getEncodedFrom(input: AggregateRef, from: number): Promise<EncodedPages> {
    const ref = checkRef(input);
    checkSequence(from, "from");
    return await guarded("getFrom", async () => {
      const q = new Query();
      const text = this.compositeSql(q, ref, { from }, ENCODED_COLUMNS);
      return encodePageRows(await this.sql.unsafe(text, q.params).values());
    });
  }

  /** Main timeline: the snapshot and the pages after it in one statement (editions: two reads). */
  async getEncodedHistory(input: AggregateRef): Promise<EncodedHistory> {
    const ref = checkRef(input);
    if (ref.edition !== Editions.MAIN) {
      const [row] = await this.snapshotRows(ref);
      const snapshot = row === undefined ? undefined : snapshotOf(row);
      return { snapshot, pages: await this.getEncodedFrom(ref, snapshot ? snapshot.sequence + 1 : 0) };
    }
    return await guarded("getEncodedHistory", async () => {
      // One snapshot row (kind 0: sequence, type URL, payload), then the pages after it (kind 1).
      const rows = (await this.sql`
        WITH s AS (
          SELECT sequence, type_url, payload FROM snapshots
          WHERE domain = ${ref.domain} AND edition = '' AND root = ${ref.root})
        SELECT 0 AS kind, sequence::float8 AS sequence, 0::float8 AS created_seconds, 0 AS created_nanos,
               type_url, payload FROM s
        UNION ALL
        SELECT 1, sequence::float8, created_seconds::float8, created_nanos, type_url, payload FROM events
        WHERE domain = ${ref.domain} AND edition = '' AND root = ${ref.root}
          AND sequence > COALESCE((SELECT sequence FROM s), -1)
        ORDER BY 1, 2`.values()) as unknown[][];
      const head = rows[0];
      const snapshot =
        head !== undefined && head[0] === 0
          ? {
              sequence: head[1] as number,
              state: create(AnySchema, { typeUrl: head[4] as string, value: bytes(head[5] as Uint8Array) }),
            }
          : undefined;
      return { snapshot, pages: encodePageRows(snapshot ? rows.slice(1) : rows, 1) };
    });
  }

  private async snapshotRows(ref: AggregateRef) {
    return await guarded("snapshot get", async () => {
      return (await this.sql`
        SELECT sequence, type_url, payload FROM snapshots
        WHERE domain = ${ref.domain} AND edition = ${ref.edition} AND root = ${ref.root}`) as SnapshotRow[];
    });
  }

  async get(input: AggregateRef): Promise<EventPage[]> {
    const ref = checkRef(input);
    return this.readPages("get", ref, {});
  }

  /**
   * Main-timeline aggregates are read MANY_ROOTS at a time by one statement (the (domain, root)
   * pairs as two arrays, any mix of domains), with those other getMany calls ask for at the same
   * time (each statement is sent after every call it answers began); edition aggregates one by
   * one, as `get`.
   */
  async getMany(targets: AggregateRef[]): Promise<EventPage[][]> {
    if (!Array.isArray(targets)) throw new InvalidInputError("refs must be an array");
    const refs = targets.map((r) => checkRef(r));
    const out: EventPage[][] = new Array(refs.length);
    const main: Promise<void>[] = [];
    for (let i = 0; i < refs.length; i++) {
      const ref = refs[i] as AggregateRef;
      if (ref.edition === Editions.MAIN) {
        main.push(
          this.manyReads.submit(ref).then((pages) => {
            out[i] = pages;
          }),
        );
      } else out[i] = await this.readPages("getMany", ref, {});
    }
    await Promise.all(main);
    return out;
  }

  /** One MANY_ROOTS_QUERY statement: each main-timeline ref's pages, in the refs' order. */
  private async readMainMany(refs: AggregateRef[]): Promise<EventPage[][]> {
    const rows = await guarded("getMany", async () => {
      return (await this.sql.unsafe(MANY_ROOTS_QUERY, [
        textArray(refs.map((r) => r.domain)),
        byteaArray(refs.map((r) => r.root)),
      ])) as (PageRow & { domain: string; root: Uint8Array })[];
    });
    const byAggregate = new Map<string, EventPage[]>();
    for (const row of rows) {
      const key = lockKey(row.domain, Editions.MAIN, bytes(row.root));
      const pages = byAggregate.get(key);
      if (pages) pages.push(pageFromRow(row));
      else byAggregate.set(key, [pageFromRow(row)]);
    }
    // Each ref gets pages of its own (the same aggregate may be asked for twice).
    return refs.map((ref) => [...(byAggregate.get(lockKey(ref.domain, Editions.MAIN, ref.root)) ?? [])]);
  }

  async getFrom(input: AggregateRef, from: number): Promise<EventPage[]> {
    const ref = checkRef(input);
    checkSequence(from, "from");
    return this.readPages("getFrom", ref, { from });
  }

  async getRange(input: AggregateRef, from: number, to: number): Promise<EventPage[]> {
    const ref = checkRef(input);
    checkSequence(from, "from");
    checkSequence(to, "to");
    return this.readPages("getRange", ref, { from, to });
  }

  async getUntil(input: AggregateRef, time: Timestamp): Promise<EventPage[]> {
    const ref = checkRef(input);
    checkTimestamp(time, "time");
    return this.readPages("getUntil", ref, { until: time });
  }

  async getByCorrelation(correlationId: string): Promise<EventBook[]> {
    checkText(correlationId, "correlationId");
    if (correlationId === "") return [];
    const rows = await guarded("getByCorrelation", async () => {
      return (await this.sql`
        SELECT domain, edition, root, sequence, type_url, payload, created_seconds, created_nanos
        FROM events WHERE correlation_id = ${correlationId}
        ORDER BY domain, edition, root, sequence`) as (PageRow & {
        domain: string;
        edition: string;
        root: Uint8Array;
      })[];
    });
    const books: EventBook[] = [];
    let current: EventBook | undefined;
    let currentKey = "";
    for (const row of rows) {
      const root = bytes(row.root);
      const key = lockKey(row.domain, row.edition, root);
      if (current === undefined || key !== currentKey) {
        current = create(EventBookSchema, {
          cover: Covers.make({ domain: row.domain, root, correlationId, edition: row.edition }),
        });
        books.push(current);
        currentKey = key;
      }
      current.pages.push(pageFromRow(row));
    }
    return books;
  }

  async correlations(input: AggregateRef): Promise<{ sequence: number; correlationId: string }[]> {
    const ref = checkRef(input);
    return await guarded("correlations", async () => {
      const rows = (await this.sql`
        SELECT sequence, correlation_id FROM events
        WHERE domain = ${ref.domain} AND edition = ${ref.edition} AND root = ${ref.root}
        ORDER BY sequence`) as { sequence: string | number; correlation_id: string }[];
      return rows.map((r) => ({ sequence: Number(r.sequence), correlationId: r.correlation_id }));
    });
  }

  async listRoots(domain: string, edition: string): Promise<Uint8Array[]> {
    checkText(domain, "domain");
    const name = checkEdition(edition);
    return await guarded("listRoots", async () => {
      const rows = (await this.sql`
        SELECT DISTINCT root FROM events WHERE domain = ${domain} AND edition = ${name}
        ORDER BY root`) as { root: Uint8Array }[];
      return rows.map((r) => bytes(r.root));
    });
  }

  async listAggregates(): Promise<{ domain: string; edition: string; root: Uint8Array }[]> {
    return await guarded("listAggregates", async () => {
      const rows = (await this.sql`
        SELECT DISTINCT domain, edition, root FROM events ORDER BY domain, edition, root`) as {
        domain: string;
        edition: string;
        root: Uint8Array;
      }[];
      return rows.map((r) => ({ domain: r.domain, edition: r.edition, root: bytes(r.root) }));
    });
  }

  async listDomains(): Promise<string[]> {
    return await guarded("listDomains", async () => {
      const rows = (await this.sql`SELECT DISTINCT domain FROM events ORDER BY domain`) as {
        domain: string;
      }[];
      return rows.map((r) => r.domain);
    });
  }

  async nextSequence(input: AggregateRef): Promise<number> {
    const ref = checkRef(input);
    return await guarded("nextSequence", async () => {
      const q = new Query();
      const last = this.lastSequenceSql(q, ref);
      const [row] = (await this.sql.unsafe(`SELECT (${last}) AS last`, q.params)) as {
        last: bigint | null;
      }[];
      return row?.last === null || row?.last === undefined ? 0 : num(row.last) + 1;
    });
  }

  async deleteEdition(domain: string, edition: string): Promise<number> {
    checkText(domain, "domain");
    const name = checkEdition(edition);
    if (name === Editions.MAIN) throw new InvalidInputError("Cannot delete main timeline events");
    return await guarded("deleteEdition", async () => {
      const result = await this.sql`DELETE FROM events WHERE domain = ${domain} AND edition = ${name}`;
      return result.count;
    });
  }

  async countEdition(edition: string): Promise<{ domain: string; events: number }[]> {
    const name = checkEdition(edition);
    if (name === Editions.MAIN) {
      throw new InvalidInputError("Count the events of an edition, not of the main timeline");
    }
    return await guarded("countEdition", async () => {
      const rows = (await this.sql`
        SELECT domain, count(*)::int4 AS events FROM events WHERE edition = ${name}
        GROUP BY domain ORDER BY domain`) as { domain: string; events: number }[];
      return rows.map((r) => ({ domain: r.domain, events: Number(r.events) }));
    });
  }

  // Catch-up reads see only rows below the safe high-water mark: rows whose transaction id is
  // below the xmin of the reader's snapshot, i.e. every transaction that could still add a row
  // there has finished. A transaction that took a lower position but commits late keeps xmin at
  // or below its id until it ends, so readers stop before its position instead of passing it
  // (alloc_positions hands out positions in transaction-id order, which makes this sound).
  // xmin is cluster-wide: any long-open transaction holding an id delays readers (never skips).
  async readAll(afterPosition: bigint, limit: number, filter?: GlobalReadFilter): Promise<StoredEvent[]> {
    checkPosition(afterPosition, "afterPosition");
    checkCount(limit, "limit");
    if (filter?.domain !== undefined) checkText(filter.domain, "filter domain");
    const edition =
      filter?.edition === undefined ? undefined : checkEdition(filter.edition, "filter edition");
    if (limit === 0) return [];
    return await guarded("readAll", async () => {
      const { text, params } = readAllQuery(afterPosition, limit, filter?.domain, edition);
      const rows = (await this.sql.unsafe(text, params)) as StoredRow[];
      return rows.map((row) => ({
        position: BigInt(row.position),
        domain: row.domain,
        edition: row.edition,
        root: bytes(row.root),
        correlationId: row.correlation_id,
        page: pageFromRow(row),
        ...(row.traceparent === null ? {} : { traceparent: row.traceparent }),
      }));
    });
  }

  async headPosition(): Promise<bigint> {
    return await guarded("headPosition", async () => {
      const [row] = (await this.sql`
        SELECT max(position) AS head FROM events
        WHERE tx_id < pg_snapshot_xmin(pg_current_snapshot())`) as { head: bigint | null }[];
      return row?.head === null || row?.head === undefined ? 0n : BigInt(row.head);
    });
  }

  /** Pages of the (composite) history, ascending by sequence. */
  private async readPages(what: string, ref: AggregateRef, filter: PageFilter): Promise<EventPage[]> {
    return await guarded(what, async () => {
      const q = new Query();
      const text = this.compositeSql(q, ref, filter);
      const rows = (await this.sql.unsafe(text, q.params)) as PageRow[];
      return rows.map(pageFromRow);
    });
  }

  /**
   * The composite history as one statement: the aggregate's own pages and, for an edition, the
   * main-timeline pages before its divergence point.
   */
  private compositeSql(q: Query, ref: AggregateRef, filter: PageFilter, columns = PAGE_COLUMNS): string {
    const domain = `${q.param(ref.domain)}::text`;
    const edition = `${q.param(ref.edition)}::text`;
    const root = `${q.param(ref.root)}::bytea`;
    const conditions: string[] = [];
    if (filter.from !== undefined) conditions.push(`sequence >= ${q.param(filter.from)}::int8`);
    if (filter.to !== undefined) conditions.push(`sequence <= ${q.param(filter.to)}::int8`);
    if (filter.until !== undefined) {
      conditions.push(
        `(created_seconds, created_nanos) <= (${q.param(filter.until.seconds)}::int8, ${q.param(filter.until.nanos)}::int4)`,
      );
    }
    const extra = conditions.map((c) => ` AND ${c}`).join("");
    const own = `SELECT ${columns}, 1 AS src FROM events
                 WHERE domain = ${domain} AND edition = ${edition} AND root = ${root}${extra}`;
    if (ref.edition === Editions.MAIN) return `${own} ORDER BY sequence`;
    const inherit = this.inheritCondition(q, ref, domain, edition, root);
    return `${own}
            UNION ALL
            SELECT ${columns}, 0 AS src FROM events
            WHERE domain = ${domain} AND edition = '' AND root = ${root} AND ${inherit}${extra}
            ORDER BY sequence, src`;
  }

  /** An expression for the last sequence of the (composite) history, NULL when empty. */
  private lastSequenceSql(q: Query, ref: AggregateRef): string {
    const domain = `${q.param(ref.domain)}::text`;
    const edition = `${q.param(ref.edition)}::text`;
    const root = `${q.param(ref.root)}::bytea`;
    // The last entry of the key's range, read backwards: max() was planned over every row of the
    // aggregate while the table's statistics said it was small (migrations.ts, NextSequence).
    const own = `SELECT sequence FROM events WHERE domain = ${domain} AND edition = ${edition} AND root = ${root}
                 ORDER BY sequence DESC LIMIT 1`;
    if (ref.edition === Editions.MAIN) return own;
    const inherit = this.inheritCondition(q, ref, domain, edition, root);
    return `GREATEST((${own}),
                     (SELECT sequence FROM events
                      WHERE domain = ${domain} AND edition = '' AND root = ${root} AND ${inherit}
                      ORDER BY sequence DESC LIMIT 1))`;
  }

  /** Which main-timeline pages an edition aggregate inherits. */
  private inheritCondition(
    q: Query,
    ref: AggregateRef,
    domain: string,
    edition: string,
    root: string,
  ): string {
    const divergence = ref.divergence;
    if (divergence?.kind === "sequence") return `sequence < ${q.param(divergence.sequence)}::int8`;
    if (divergence?.kind === "time") {
      return `(created_seconds, created_nanos) <= (${q.param(divergence.time.seconds)}::int8, ${q.param(divergence.time.nanos)}::int4)`;
    }
    // Implicit: below the lowest sequence the edition itself holds (everything when it holds none).
    return `sequence < COALESCE((SELECT sequence FROM events
                                 WHERE domain = ${domain} AND edition = ${edition} AND root = ${root}
                                 ORDER BY sequence LIMIT 1),
                                ${BEYOND_SEQUENCES})`;
  }
}
