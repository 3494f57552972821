// DeadLetterStore on bun:sqlite: failed deliveries kept for inspection and replay.
import { NotFoundError } from "../errors";
import type { DeadLetterEntry, DeadLetterInput, DeadLetterStore } from "../types";
import type { SqliteDb, Stmt } from "./db";
import * as check from "./validate";

const COLUMNS = `id, consumer, domain, edition, root, sequence, correlation_id, reason, payload_type, payload,
  escalated, created_at_ms, replayed_at_ms, dedupe_key`;

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
  Uint8Array | null,
  number,
  number,
  number | null,
  string | null,
];

function entry(row: Row): DeadLetterEntry {
  const out: DeadLetterEntry = {
    id: row[0],
    consumer: row[1],
    domain: row[2],
    edition: row[3],
    root: row[4],
    sequence: row[5],
    correlationId: row[6],
    reason: row[7],
    payloadType: row[8],
    payload: row[9] ?? new Uint8Array(0),
    escalated: row[10] !== 0,
    createdAt: new Date(row[11]),
  };
  if (row[12] !== null) out.replayedAt = new Date(row[12]);
  if (row[13] !== null) out.key = row[13];
  return out;
}

/** Inserts one dead letter (parameters: see deadLetterParams); nothing when its key is open already. */
export const DEAD_LETTER_INSERT = `INSERT INTO dead_letters (consumer, domain, edition, root, sequence, correlation_id,
  reason, payload_type, payload, escalated, created_at_ms, dedupe_key)
  VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT DO NOTHING`;

/** The open entry with a key (parameter ?1). */
export const DEAD_LETTER_BY_KEY =
  "SELECT id FROM dead_letters WHERE dedupe_key = ?1 AND replayed_at_ms IS NULL";

/** Checks a dead letter; returns the parameters of DEAD_LETTER_INSERT. */
export function deadLetterParams(
  input: DeadLetterInput,
): [
  string,
  string,
  string,
  Uint8Array,
  number,
  string,
  string,
  string,
  Uint8Array,
  number,
  number,
  string | null,
] {
  check.object(input, "dead letter");
  return [
    check.text(input.consumer, "consumer"),
    check.text(input.domain, "domain"),
    check.edition(input.edition),
    check.root(input.root),
    check.sequence(input.sequence),
    check.text(input.correlationId, "correlation id"),
    check.text(input.reason, "reason"),
    check.text(input.payloadType, "payload type"),
    check.bytes(input.payload, "payload"),
    input.escalated === true ? 1 : 0,
    Date.now(),
    input.key === undefined ? null : check.text(input.key, "key"),
  ];
}

export class SqliteDeadLetterStore implements DeadLetterStore {
  private readonly insert: Stmt;
  private readonly byKey: Stmt;
  private readonly listStmt: Stmt;
  private readonly select: Stmt;
  private readonly replayed: Stmt;
  private readonly deleteStmt: Stmt;

  constructor(private readonly db: SqliteDb) {
    this.insert = db.prepare(DEAD_LETTER_INSERT);
    this.byKey = db.prepare(DEAD_LETTER_BY_KEY);
    this.listStmt = db.prepare(
      `SELECT ${COLUMNS} FROM dead_letters
       WHERE (?1 OR replayed_at_ms IS NULL) AND (?2 IS NULL OR consumer = ?2) ORDER BY id`,
    );
    this.select = db.prepare(`SELECT ${COLUMNS} FROM dead_letters WHERE id = ?1`);
    this.replayed = db.prepare(
      "UPDATE dead_letters SET replayed_at_ms = coalesce(replayed_at_ms, ?2) WHERE id = ?1",
    );
    this.deleteStmt = db.prepare("DELETE FROM dead_letters WHERE id = ?1");
  }

  async add(input: DeadLetterInput): Promise<number> {
    const params = deadLetterParams(input);
    return this.db.write(`add dead letter for ${params[0]}`, () => {
      const result = this.insert.run(...params);
      if (result.changes > 0) return Number(result.lastInsertRowid);
      return this.byKey.values(params[11])[0]?.[0] as number;
    });
  }

  async list(options?: { includeReplayed?: boolean; consumer?: string }): Promise<DeadLetterEntry[]> {
    const includeReplayed = options?.includeReplayed === true ? 1 : 0;
    const consumer = options?.consumer === undefined ? null : check.text(options.consumer, "consumer");
    const rows = this.db.read("list dead letters", () =>
      this.listStmt.values(includeReplayed, consumer),
    ) as Row[];
    return rows.map(entry);
  }

  async fetch(id: number): Promise<DeadLetterEntry | undefined> {
    check.count(id, "dead letter id");
    const row = this.db.read(`fetch dead letter ${id}`, () => this.select.values(id))[0] as Row | undefined;
    return row === undefined ? undefined : entry(row);
  }

  async markReplayed(id: number): Promise<void> {
    check.count(id, "dead letter id");
    const changed = this.db.write(
      `mark dead letter ${id} replayed`,
      () => this.replayed.run(id, Date.now()).changes,
    );
    if (changed === 0) throw new NotFoundError(`Unknown dead letter: ${id}`);
  }

  async remove(id: number): Promise<void> {
    check.count(id, "dead letter id");
    const changed = this.db.write(`remove dead letter ${id}`, () => this.deleteStmt.run(id).changes);
    if (changed === 0) throw new NotFoundError(`Unknown dead letter: ${id}`);
  }
}
