// OutboxStore on PostgreSQL. The writes of one call share one transaction: it locks every
// aggregate it appends to (the event store's advisory locks, in one sorted order), takes the
// global positions of all its pages before its first write (alloc_positions, see the migrations),
// then applies each write whose guards and sequence numbers pass; a refused write leaves nothing.
import { Editions, type EventPage } from "@angzarr/proto";
import { InvalidInputError, SequenceConflictError } from "../errors";
import type {
  CausationKey,
  DeadLetterInput,
  OutboxEntry,
  OutboxInput,
  OutboxStatus,
  OutboxStore,
  OutboxWrite,
  OutboxWriteResult,
} from "../types";
import { byteaArray, integerArray, textArray } from "./array-literal";
import { bytes, guarded, num, type Sql, toStorageError } from "./client";
import { checkNumbers, checkPages, type PostgresEventStore } from "./events";
import { GroupCommit, type GroupCommitOptions, rowsByItem } from "./group-commit";
import { checkCausation, checkDeadLetter, insertDeadLetter } from "./stores";
import { checkCount, checkRef, checkText } from "./validate";

interface Row {
  id: bigint;
  component: string;
  domain: string;
  edition: string;
  root: Uint8Array;
  sequence: bigint;
  name: string;
  lane: string;
  kind: string;
  payload: Uint8Array;
  status: OutboxStatus;
  attempts: number;
  due_at_ms: bigint;
  last_error: string;
  result: Uint8Array | null;
  created_at: Date;
  traceparent: string;
}

const SETTLED = new Set<OutboxStatus>(["delivered", "rejected", "parked"]);

function entry(row: Row): OutboxEntry {
  const out: OutboxEntry = {
    id: num(row.id),
    cause: {
      component: row.component,
      domain: row.domain,
      edition: row.edition,
      root: bytes(row.root),
      sequence: num(row.sequence),
    },
    name: row.name,
    lane: row.lane,
    kind: row.kind,
    payload: bytes(row.payload),
    status: row.status,
    attempts: Number(row.attempts),
    dueAt: num(row.due_at_ms),
    lastError: row.last_error,
    createdAt: row.created_at,
  };
  if (row.result !== null) out.result = bytes(row.result);
  if (row.traceparent) out.traceparent = row.traceparent;
  return out;
}

function checkEntry(input: OutboxInput): OutboxInput {
  if (input === null || typeof input !== "object") throw new InvalidInputError("outbox entry missing");
  checkText(input.name, "entry name");
  checkText(input.lane, "lane");
  checkText(input.kind, "kind");
  if (!(input.payload instanceof Uint8Array)) throw new InvalidInputError("payload must be bytes");
  if (input.traceparent !== undefined) checkText(input.traceparent, "traceparent");
  return { ...input, cause: checkCausation(input.cause) };
}

function checkWrite(w: OutboxWrite): OutboxWrite {
  if (w === null || typeof w !== "object") throw new InvalidInputError("outbox write missing");
  if (w.settle !== undefined) {
    checkCount(w.settle.id, "outbox id");
    if (!SETTLED.has(w.settle.status))
      throw new InvalidInputError("settled status must be delivered, rejected or parked");
  }
  return {
    ...w,
    causations: (w.causations ?? []).map(checkCausation),
    appends: (w.appends ?? []).map((a) => {
      if (a === null || typeof a !== "object") throw new InvalidInputError("append missing");
      checkPages(a.pages);
      checkText(a.correlationId, "correlationId");
      return { ...a, ref: checkRef(a.ref) };
    }),
    enqueue: (w.enqueue ?? []).map(checkEntry),
    ...(w.deadLetter ? { deadLetter: checkDeadLetter(w.deadLetter as DeadLetterInput) } : {}),
  };
}

/** A row of outbox_write_one: 'written' with an entry's id (or NULLs), or 'duplicate'. */
interface WriteRow {
  kind: string;
  id: bigint | null;
  created: Date | null;
}

/** A write for outbox_write_one, with the outcome it keeps (it has no pages: known before it). */
interface OneWrite {
  w: OutboxWrite;
  outcome: Uint8Array | null;
}

/** Whether outbox_write_one can apply the write: nothing to number, no dead letter, one causation at most. */
function oneStatement(w: OutboxWrite): boolean {
  return (w.appends ?? []).length === 0 && w.deadLetter === undefined && (w.causations ?? []).length <= 1;
}

function aggregateKey(ref: { domain: string; edition: string; root: Uint8Array }): string {
  return `${ref.domain}\u0000${ref.edition}\u0000${Buffer.from(ref.root).toString("hex")}`;
}

export class PostgresOutboxStore implements OutboxStore {
  /** One-statement writes waiting at the same time share one statement and one commit. */
  private readonly grouped: GroupCommit<OneWrite, WriteRow[]>;

  constructor(
    private readonly sql: Sql,
    private readonly events: PostgresEventStore,
    grouping: GroupCommitOptions = {},
  ) {
    this.grouped = new GroupCommit<OneWrite, WriteRow[]>(
      {
        // Settled entries are row-locked in id order by every statement: no cycle between them.
        compare: (a, b) =>
          (a.w.settle?.id ?? Number.MAX_SAFE_INTEGER) - (b.w.settle?.id ?? Number.MAX_SAFE_INTEGER),
        single: (w) => this.oneRows(w),
        many: (ws) => this.manyRows(ws),
      },
      grouping,
    );
  }

  async write(writes: OutboxWrite[]): Promise<OutboxWriteResult[]> {
    if (!Array.isArray(writes)) throw new InvalidInputError("writes must be an array");
    const checked = writes.map(checkWrite);
    if (checked.length === 0) return [];
    const only = checked[0] as OutboxWrite;
    if (checked.length === 1 && oneStatement(only)) return [await this.writeOne(only)];
    return await guarded("outbox write", () =>
      this.sql.begin(async (tx) => {
        const appends = checked.flatMap((w) => w.appends ?? []);
        await this.events.lock(
          tx,
          appends.map((a) => a.ref),
        );
        const pages = appends.reduce((n, a) => n + a.pages.length, 0);
        // Positions before the first write; a refused write leaves a gap, which readers skip.
        let position = 0n;
        if (pages > 0) {
          const [row] = (await tx`SELECT alloc_positions(${pages}::int4) AS first`) as { first: bigint }[];
          position = BigInt(row?.first ?? 0n);
        }
        const results: OutboxWriteResult[] = [];
        /** Next sequence per aggregate as this transaction has left it. */
        const next = new Map<string, number>();
        for (const w of checked) {
          const result = await this.apply(tx, w, next, position);
          if (result.kind === "written") {
            position += BigInt(result.stored.reduce((n, s) => n + s.length, 0));
          }
          results.push(result);
        }
        return results;
      }),
    );
  }

  /**
   * A write without appends or dead letter in one round trip (outbox_write_one, see the
   * migrations): the guards and writes of `apply`, in the same order, inside one statement.
   * Such writes waiting at the same time share one statement and one commit (outbox_write_batch).
   */
  private async writeOne(w: OutboxWrite): Promise<OutboxWriteResult> {
    // No pages: the outcome is known before the write.
    const outcome = w.outcome?.([]) ?? null;
    const rows = await guarded("outbox write", () => this.grouped.submit({ w, outcome }));
    return this.resultOf(w, rows);
  }

  /** The rows of one write sent alone. */
  private async oneRows({ w, outcome }: OneWrite): Promise<WriteRow[]> {
    const c = w.causations?.[0];
    const entries = w.enqueue ?? [];
    const sql = this.sql;
    const text = (f: (e: OutboxInput) => string) => textArray(entries.map(f));
    const blobs = (f: (e: OutboxInput) => Uint8Array) => byteaArray(entries.map(f));
    const sequences = integerArray(entries.map((e) => e.cause.sequence));
    return (await sql`
      SELECT r_kind AS kind, r_id AS id, r_created AS created FROM outbox_write_one(
        ${c ? c.component : null}::text, ${c ? c.domain : null}::text,
        ${c ? Editions.normalize(c.edition) : null}::text, ${c ? c.root : null}::bytea,
        ${c ? c.sequence : null}::int8, ${outcome}::bytea,
        ${w.settle ? w.settle.id : null}::int8, ${w.settle ? w.settle.status : null}::text,
        ${text((e) => e.cause.component)}::text[], ${text((e) => e.cause.domain)}::text[],
        ${text((e) => e.cause.edition)}::text[], ${blobs((e) => e.cause.root)}::bytea[],
        ${sequences}::int8[], ${text((e) => e.name)}::text[], ${text((e) => e.lane)}::text[],
        ${text((e) => e.kind)}::text[], ${blobs((e) => e.payload)}::bytea[],
        ${text((e) => e.traceparent ?? "")}::text[])`) as WriteRow[];
  }

  /** The rows of several writes in one statement, split by write. */
  private async manyRows(items: OneWrite[]): Promise<WriteRow[][]> {
    const sql = this.sql;
    const ws = items.map((item) => item.w);
    const c = ws.map((w) => w.causations?.[0]);
    const entries = ws.flatMap((w) => w.enqueue ?? []);
    const rows = (await sql`
      SELECT r_item AS item, r_kind AS kind, r_id AS id, r_created AS created FROM outbox_write_batch(
        ${textArray(c.map((x) => x?.component ?? null))}::text[], ${textArray(c.map((x) => x?.domain ?? null))}::text[],
        ${textArray(c.map((x) => (x ? Editions.normalize(x.edition) : null)))}::text[],
        ${byteaArray(c.map((x) => x?.root ?? null))}::bytea[], ${integerArray(c.map((x) => x?.sequence ?? null))}::int8[],
        ${byteaArray(items.map((item) => item.outcome))}::bytea[], ${integerArray(ws.map((w) => w.settle?.id ?? null))}::int8[],
        ${textArray(ws.map((w) => w.settle?.status ?? null))}::text[],
        ${integerArray(ws.map((w) => (w.enqueue ?? []).length))}::int4[],
        ${textArray(entries.map((e) => e.cause.component))}::text[], ${textArray(entries.map((e) => e.cause.domain))}::text[],
        ${textArray(entries.map((e) => e.cause.edition))}::text[], ${byteaArray(entries.map((e) => e.cause.root))}::bytea[],
        ${integerArray(entries.map((e) => e.cause.sequence))}::int8[], ${textArray(entries.map((e) => e.name))}::text[],
        ${textArray(entries.map((e) => e.lane))}::text[], ${textArray(entries.map((e) => e.kind))}::text[],
        ${byteaArray(entries.map((e) => e.payload))}::bytea[],
        ${textArray(entries.map((e) => e.traceparent ?? ""))}::text[])`) as (WriteRow & { item: number })[];
    return rowsByItem(rows, ws.length);
  }

  /** The result of one write from its rows. */
  private resultOf(w: OutboxWrite, rows: WriteRow[]): OutboxWriteResult {
    const entries = w.enqueue ?? [];
    if (rows[0]?.kind !== "written") return { kind: "duplicate" };
    // Ids ascend in the order the entries were given.
    const ids = rows
      .flatMap((r) => (r.id === null ? [] : [{ id: num(r.id), created: r.created ?? new Date() }]))
      .sort((a, b) => a.id - b.id);
    const enqueued = entries.map((e, i): OutboxEntry => {
      const row = ids[i];
      if (row === undefined) throw toStorageError("outbox write", new Error("an entry was not stored"));
      const out: OutboxEntry = {
        id: row.id,
        cause: { ...e.cause, root: bytes(e.cause.root) },
        name: e.name,
        lane: e.lane,
        kind: e.kind,
        payload: e.payload,
        status: "pending",
        attempts: 0,
        dueAt: 0,
        lastError: "",
        createdAt: row.created,
      };
      if (e.traceparent) out.traceparent = e.traceparent;
      return out;
    });
    return { kind: "written", stored: [], enqueued };
  }

  async pending(options: { limit: number; lane?: string; afterId?: number }): Promise<OutboxEntry[]> {
    checkCount(options?.limit, "limit");
    if (options.lane !== undefined) checkText(options.lane, "lane");
    if (options.afterId !== undefined) checkCount(options.afterId, "afterId");
    const lane = options.lane ?? null;
    return await guarded("outbox pending", async () => {
      const rows = (await this.sql`
        SELECT * FROM outbox
        WHERE status = 'pending' AND (${lane}::text IS NULL OR lane = ${lane}::text) AND id > ${options.afterId ?? 0}
        ORDER BY id LIMIT ${options.limit}`) as Row[];
      return rows.map(entry);
    });
  }

  async byCause(input: CausationKey): Promise<OutboxEntry[]> {
    const c = checkCausation(input);
    return await guarded("outbox byCause", async () => {
      const rows = (await this.sql`
        SELECT * FROM outbox
        WHERE component = ${c.component} AND domain = ${c.domain} AND edition = ${c.edition}
          AND root = ${c.root} AND sequence = ${c.sequence}
        ORDER BY id`) as Row[];
      return rows.map(entry);
    });
  }

  async get(id: number): Promise<OutboxEntry | undefined> {
    checkCount(id, "outbox id");
    return await guarded("outbox get", async () => {
      const [row] = (await this.sql`SELECT * FROM outbox WHERE id = ${id}`) as Row[];
      return row === undefined ? undefined : entry(row);
    });
  }

  async retryLater(id: number, dueAt: number, error: string): Promise<void> {
    checkCount(id, "outbox id");
    checkCount(dueAt, "due time");
    checkText(error, "error");
    await guarded("outbox retryLater", async () => {
      await this.sql`
        UPDATE outbox SET attempts = attempts + 1, due_at_ms = ${dueAt}, last_error = ${error}
        WHERE id = ${id} AND status = 'pending'`;
    });
  }

  /** One write inside the transaction: guards and sequence checks first, then every part. */
  private async apply(
    tx: Sql,
    w: OutboxWrite,
    next: Map<string, number>,
    firstPosition: bigint,
  ): Promise<OutboxWriteResult> {
    for (const c of w.causations ?? []) {
      const found = await tx`
        SELECT 1 AS found FROM causations
        WHERE component = ${c.component} AND domain = ${c.domain} AND edition = ${c.edition}
          AND root = ${c.root} AND sequence = ${c.sequence}`;
      if (found.length > 0) return { kind: "duplicate" };
    }
    if (w.settle) {
      const [row] = (await tx`SELECT status FROM outbox WHERE id = ${w.settle.id} FOR UPDATE`) as {
        status: string;
      }[];
      if (row?.status !== "pending") return { kind: "duplicate" };
    }
    for (const e of w.enqueue ?? []) {
      const c = e.cause;
      const found = await tx`
        SELECT 1 AS found FROM outbox
        WHERE component = ${c.component} AND domain = ${c.domain} AND edition = ${c.edition}
          AND root = ${c.root} AND sequence = ${c.sequence} AND name = ${e.name}`;
      if (found.length > 0) return { kind: "duplicate" };
    }
    const starts: number[] = [];
    const planned = new Map<string, number>();
    for (const a of w.appends ?? []) {
      const key = aggregateKey(a.ref);
      const start = planned.get(key) ?? next.get(key) ?? (await this.events.nextIn(tx, a.ref));
      try {
        checkNumbers(a.pages, start);
      } catch (err) {
        if (err instanceof SequenceConflictError)
          return { kind: "conflict", expected: err.expected, actual: err.actual };
        throw err;
      }
      starts.push(start);
      planned.set(key, start + a.pages.length);
    }
    // Checked: write every part. A racing writer of the same causation (its check passed too)
    // makes the claim insert nothing: that write is then a duplicate after all, and nothing else
    // of it has been written yet.
    for (const [i, c] of (w.causations ?? []).entries()) {
      const claimed = await tx`
        INSERT INTO causations (component, domain, edition, root, sequence, outcome)
        VALUES (${c.component}, ${c.domain}, ${Editions.normalize(c.edition)}, ${c.root}, ${c.sequence}, NULL)
        ON CONFLICT DO NOTHING RETURNING 1 AS inserted`;
      if (claimed.length === 0) {
        if (i === 0) return { kind: "duplicate" };
        throw new Error("a causation was recorded by another writer in the middle of an outbox write");
      }
    }
    let position = firstPosition;
    const stored: EventPage[][] = [];
    for (const [i, a] of (w.appends ?? []).entries()) {
      if (a.pages.length === 0) {
        stored.push([]);
        continue;
      }
      stored.push(
        await this.events.insertPages(tx, a.ref, a.pages, a.correlationId, starts[i] as number, position),
      );
      position += BigInt(a.pages.length);
    }
    for (const [key, value] of planned) next.set(key, value);
    const outcome = w.outcome?.(stored);
    if (w.settle) {
      await tx`UPDATE outbox SET status = ${w.settle.status}, result = ${outcome ?? null} WHERE id = ${w.settle.id}`;
    }
    const last = w.causations?.at(-1);
    if (last && outcome) {
      await tx`
        UPDATE causations SET outcome = ${outcome}
        WHERE component = ${last.component} AND domain = ${last.domain} AND edition = ${last.edition}
          AND root = ${last.root} AND sequence = ${last.sequence}`;
    }
    const enqueued: OutboxEntry[] = [];
    for (const e of w.enqueue ?? []) {
      const c = e.cause;
      const [row] = (await tx`
        INSERT INTO outbox (component, domain, edition, root, sequence, name, lane, kind, payload, status,
                            traceparent)
        VALUES (${c.component}, ${c.domain}, ${c.edition}, ${c.root}, ${c.sequence}, ${e.name}, ${e.lane},
                ${e.kind}, ${e.payload}, 'pending', ${e.traceparent ?? ""})
        RETURNING *`) as Row[];
      if (row) enqueued.push(entry(row));
    }
    if (w.deadLetter) await insertDeadLetter(tx, w.deadLetter);
    return { kind: "written", stored, enqueued };
  }
}
