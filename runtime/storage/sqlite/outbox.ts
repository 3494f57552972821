// OutboxStore on bun:sqlite. The writes of one call run in one BEGIN IMMEDIATE transaction (shared
// with other writes of the same event-loop turn through the group commit); each write checks its
// guards and sequence numbers before it writes anything, so a refused write leaves nothing behind.
import type { EventPage } from "@angzarr/proto";
import { InvalidInputError, SequenceConflictError } from "../errors";
import type {
  AggregateRef,
  CausationKey,
  DeadLetterInput,
  OutboxEntry,
  OutboxInput,
  OutboxStatus,
  OutboxStore,
  OutboxWrite,
  OutboxWriteResult,
} from "../types";
import { CAUSATION_INSERT, validKey } from "./causations";
import type { SqliteDb, Stmt } from "./db";
import { DEAD_LETTER_INSERT, deadLetterParams } from "./dead-letters";
import { checkPages, type PageInput, type SqliteEventStore } from "./events";
import * as check from "./validate";

const COLUMNS = `id, component, domain, edition, root, sequence, name, lane, kind, payload, status, attempts,
  due_at_ms, last_error, result, created_at_ms, traceparent`;
const CAUSE = "component = ?1 AND domain = ?2 AND edition = ?3 AND root = ?4 AND sequence = ?5";

type Row = [
  number,
  string,
  string,
  string,
  Uint8Array,
  number,
  string,
  string,
  string,
  Uint8Array,
  string,
  number,
  number,
  string,
  Uint8Array | null,
  number,
  string,
];

const SETTLED = new Set<OutboxStatus>(["delivered", "rejected", "parked"]);

function entry(row: Row): OutboxEntry {
  const out: OutboxEntry = {
    id: row[0],
    cause: { component: row[1], domain: row[2], edition: row[3], root: row[4], sequence: row[5] },
    name: row[6],
    lane: row[7],
    kind: row[8],
    payload: row[9],
    status: row[10] as OutboxStatus,
    attempts: row[11],
    dueAt: row[12],
    lastError: row[13],
    createdAt: new Date(row[15]),
  };
  if (row[14] !== null) out.result = row[14];
  if (row[16]) out.traceparent = row[16];
  return out;
}

/** A write with every input checked and normalised. */
interface Checked {
  causations: CausationKey[];
  outcome: OutboxWrite["outcome"];
  settle: { id: number; status: OutboxStatus } | undefined;
  appends: { ref: AggregateRef; inputs: PageInput[]; correlationId: string }[];
  enqueue: (OutboxInput & { cause: CausationKey })[];
  deadLetter: ReturnType<typeof deadLetterParams> | undefined;
}

function checkEntry(input: OutboxInput): OutboxInput {
  check.object(input, "outbox entry");
  return {
    cause: validKey(input.cause),
    name: check.text(input.name, "entry name"),
    lane: check.text(input.lane, "lane"),
    kind: check.text(input.kind, "kind"),
    payload: check.bytes(input.payload, "payload"),
    ...(input.traceparent ? { traceparent: check.text(input.traceparent, "traceparent") } : {}),
  };
}

function checkWrite(w: OutboxWrite): Checked {
  check.object(w, "outbox write");
  let settle: Checked["settle"];
  if (w.settle !== undefined) {
    check.object(w.settle, "settle");
    if (!SETTLED.has(w.settle.status))
      throw new InvalidInputError(`settled status must be delivered, rejected or parked`);
    settle = { id: check.count(w.settle.id, "outbox id"), status: w.settle.status };
  }
  return {
    causations: (w.causations ?? []).map(validKey),
    outcome: w.outcome,
    settle,
    appends: (w.appends ?? []).map((a) => {
      check.object(a, "append");
      if (!Array.isArray(a.pages)) throw new InvalidInputError("pages must be an array");
      return {
        ref: check.ref(a.ref),
        inputs: checkPages(a.pages),
        correlationId: check.text(a.correlationId, "correlation id"),
      };
    }),
    enqueue: (w.enqueue ?? []).map(checkEntry),
    deadLetter: w.deadLetter === undefined ? undefined : deadLetterParams(w.deadLetter as DeadLetterInput),
  };
}

function aggregateKey(ref: AggregateRef): string {
  return `${ref.domain}\u0000${ref.edition}\u0000${Buffer.from(ref.root).toString("hex")}`;
}

export class SqliteOutboxStore implements OutboxStore {
  private readonly hasCausation: Stmt;
  private readonly claim: Stmt;
  private readonly setOutcome: Stmt;
  private readonly status: Stmt;
  private readonly settleStmt: Stmt;
  private readonly hasName: Stmt;
  private readonly insert: Stmt;
  private readonly deadLetter: Stmt;
  private readonly pendingAll: Stmt;
  private readonly pendingLane: Stmt;
  private readonly byCauseStmt: Stmt;
  private readonly select: Stmt;
  private readonly retry: Stmt;

  constructor(
    private readonly db: SqliteDb,
    private readonly events: SqliteEventStore,
  ) {
    this.hasCausation = db.prepare(`SELECT 1 FROM causations WHERE ${CAUSE}`);
    this.claim = db.prepare(CAUSATION_INSERT);
    this.setOutcome = db.prepare(`UPDATE causations SET outcome = ?6 WHERE ${CAUSE}`);
    this.status = db.prepare("SELECT status FROM outbox WHERE id = ?1");
    this.settleStmt = db.prepare(
      "UPDATE outbox SET status = ?2, result = ?3 WHERE id = ?1 AND status = 'pending'",
    );
    this.hasName = db.prepare(`SELECT 1 FROM outbox WHERE ${CAUSE} AND name = ?6`);
    this.insert = db.prepare(
      `INSERT INTO outbox (component, domain, edition, root, sequence, name, lane, kind, payload, status,
         attempts, due_at_ms, last_error, result, created_at_ms, traceparent)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'pending', 0, 0, '', NULL, ?10, ?11) RETURNING ${COLUMNS}`,
    );
    this.deadLetter = db.prepare(DEAD_LETTER_INSERT);
    this.pendingAll = db.prepare(
      `SELECT ${COLUMNS} FROM outbox WHERE status = 'pending' AND id > ?2 ORDER BY id LIMIT ?1`,
    );
    this.pendingLane = db.prepare(
      `SELECT ${COLUMNS} FROM outbox WHERE status = 'pending' AND lane = ?2 AND id > ?3 ORDER BY id LIMIT ?1`,
    );
    this.byCauseStmt = db.prepare(`SELECT ${COLUMNS} FROM outbox WHERE ${CAUSE} ORDER BY id`);
    this.select = db.prepare(`SELECT ${COLUMNS} FROM outbox WHERE id = ?1`);
    this.retry = db.prepare(
      `UPDATE outbox SET attempts = attempts + 1, due_at_ms = ?2, last_error = ?3
       WHERE id = ?1 AND status = 'pending'`,
    );
  }

  async write(writes: OutboxWrite[]): Promise<OutboxWriteResult[]> {
    if (!Array.isArray(writes)) throw new InvalidInputError("writes must be an array");
    const checked = writes.map(checkWrite);
    if (checked.length === 0) return [];
    return this.db.writeGrouped(`outbox write of ${checked.length}`, () => checked.map((w) => this.apply(w)));
  }

  async pending(options: { limit: number; lane?: string; afterId?: number }): Promise<OutboxEntry[]> {
    check.object(options, "options");
    const limit = check.count(options.limit, "limit");
    const after = options.afterId === undefined ? 0 : check.count(options.afterId, "afterId");
    const lane = options.lane === undefined ? undefined : check.text(options.lane, "lane");
    const rows = this.db.read("read the outbox", () =>
      lane === undefined ? this.pendingAll.values(limit, after) : this.pendingLane.values(limit, lane, after),
    ) as Row[];
    return rows.map(entry);
  }

  async byCause(cause: CausationKey): Promise<OutboxEntry[]> {
    const k = validKey(cause);
    const rows = this.db.read("read the outbox", () =>
      this.byCauseStmt.values(k.component, k.domain, k.edition, k.root, k.sequence),
    ) as Row[];
    return rows.map(entry);
  }

  async get(id: number): Promise<OutboxEntry | undefined> {
    check.count(id, "outbox id");
    const row = this.db.read("read the outbox", () => this.select.values(id))[0] as Row | undefined;
    return row === undefined ? undefined : entry(row);
  }

  async retryLater(id: number, dueAt: number, error: string): Promise<void> {
    check.count(id, "outbox id");
    check.count(dueAt, "due time");
    check.text(error, "error");
    this.db.write(`retry outbox entry ${id}`, () => this.retry.run(id, dueAt, error));
  }

  /** One write inside the transaction: guards and checks first, then every part. */
  private apply(w: Checked): OutboxWriteResult {
    for (const c of w.causations) {
      if (this.hasCausation.values(c.component, c.domain, c.edition, c.root, c.sequence).length > 0)
        return { kind: "duplicate" };
    }
    if (w.settle && (this.status.values(w.settle.id)[0]?.[0] as string | undefined) !== "pending")
      return { kind: "duplicate" };
    for (const e of w.enqueue) {
      const c = e.cause;
      if (this.hasName.values(c.component, c.domain, c.edition, c.root, c.sequence, e.name).length > 0)
        return { kind: "duplicate" };
    }
    const planned = new Map<string, number>();
    const starts: number[] = [];
    for (const a of w.appends) {
      const key = aggregateKey(a.ref);
      try {
        starts.push(this.events.checkNumbers(a.ref, a.inputs, planned.get(key) ?? 0));
      } catch (err) {
        if (err instanceof SequenceConflictError)
          return { kind: "conflict", expected: err.expected, actual: err.actual };
        throw err;
      }
      planned.set(key, (planned.get(key) ?? 0) + a.inputs.length);
    }
    // Checked: write every part.
    for (const c of w.causations) this.claim.run(c.component, c.domain, c.edition, c.root, c.sequence, null);
    const stored: EventPage[][] = w.appends.map((a, i) =>
      a.inputs.length === 0
        ? []
        : this.events.insertPages(a.ref, a.inputs, a.correlationId, starts[i] as number),
    );
    const outcome = w.outcome?.(stored);
    const last = w.causations.at(-1);
    if (last && outcome) {
      this.setOutcome.run(last.component, last.domain, last.edition, last.root, last.sequence, outcome);
    }
    if (w.settle) this.settleStmt.run(w.settle.id, w.settle.status, outcome ?? null);
    const now = Date.now();
    const enqueued = w.enqueue.map((e) => {
      const c = e.cause;
      const row = this.insert.values(
        c.component,
        c.domain,
        c.edition,
        c.root,
        c.sequence,
        e.name,
        e.lane,
        e.kind,
        e.payload,
        now,
        e.traceparent ?? "",
      )[0] as Row;
      return entry(row);
    });
    if (w.deadLetter) this.deadLetter.run(...w.deadLetter); // an open entry with its key already: kept
    return { kind: "written", stored, enqueued };
  }
}
