// EditionStore on bun:sqlite: the registry of named timelines and their branch points.
import { Editions } from "@angzarr/proto";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { AlreadyExistsError, InvalidInputError, UnknownEditionError } from "../errors";
import type { Divergence, EditionRecord, EditionStore } from "../types";
import type { SqliteDb, Stmt } from "./db";
import * as check from "./validate";

const COLUMNS =
  "name, description, created_at_ms, divergence_kind, divergence_sequence, divergence_s, divergence_n, domain_divergences";
type Row = [
  string,
  string,
  number,
  string | null,
  number | null,
  number | null,
  number | null,
  string | null,
];

/** One per-domain branch point as stored in the JSON column. */
interface StoredDomainDivergence {
  domain: string;
  kind: "sequence" | "time";
  sequence?: number;
  seconds?: string;
  nanos?: number;
}

function timestamp(seconds: number | string | null | undefined, nanos: number | null | undefined): Timestamp {
  return { $typeName: "google.protobuf.Timestamp", seconds: BigInt(seconds ?? 0), nanos: nanos ?? 0 };
}

function record(row: Row): EditionRecord {
  const out: EditionRecord = { name: row[0], description: row[1], createdAt: new Date(row[2]) };
  if (row[3] === "sequence") out.divergence = { kind: "sequence", sequence: row[4] ?? 0 };
  else if (row[3] === "time") out.divergence = { kind: "time", time: timestamp(row[5], row[6]) };
  if (row[7] !== null) {
    out.domainDivergences = (JSON.parse(row[7]) as StoredDomainDivergence[]).map((d) => ({
      domain: d.domain,
      divergence:
        d.kind === "sequence"
          ? { kind: "sequence", sequence: d.sequence ?? 0 }
          : { kind: "time", time: timestamp(d.seconds, d.nanos) },
    }));
  }
  return out;
}

function domainDivergencesColumn(record: EditionRecord): string | null {
  if (record.domainDivergences === undefined) return null;
  const stored = record.domainDivergences.map(({ domain, divergence }): StoredDomainDivergence => {
    check.text(domain, "divergence domain");
    const d = check.divergence(divergence) as Divergence;
    return d.kind === "sequence"
      ? { domain, kind: "sequence", sequence: d.sequence }
      : { domain, kind: "time", seconds: String(d.time.seconds), nanos: d.time.nanos };
  });
  return JSON.stringify(stored);
}

function divergenceColumns(
  d: Divergence | undefined,
): [string | null, number | null, number | null, number | null] {
  if (d === undefined) return [null, null, null, null];
  if (d.kind === "sequence") return ["sequence", d.sequence, null, null];
  return ["time", null, Number(d.time.seconds), d.time.nanos];
}

export class SqliteEditionStore implements EditionStore {
  private readonly insert: Stmt;
  private readonly select: Stmt;
  private readonly all: Stmt;
  private readonly remove: Stmt;

  constructor(private readonly db: SqliteDb) {
    this.insert = db.prepare(
      `INSERT OR IGNORE INTO editions (${COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)`,
    );
    this.select = db.prepare(`SELECT ${COLUMNS} FROM editions WHERE name = ?1`);
    this.all = db.prepare(`SELECT ${COLUMNS} FROM editions ORDER BY name`);
    this.remove = db.prepare("DELETE FROM editions WHERE name = ?1");
  }

  async create(edition: EditionRecord): Promise<void> {
    check.object(edition, "edition");
    const name = check.text(edition.name, "edition name");
    if (Editions.isMain(name))
      throw new InvalidInputError(`Cannot create an edition named after the main timeline`);
    const description = check.text(edition.description ?? "", "edition description");
    const createdAt = edition.createdAt instanceof Date ? edition.createdAt.getTime() : Number.NaN;
    if (!Number.isFinite(createdAt)) throw new InvalidInputError("edition createdAt must be a valid Date");
    const divergence = divergenceColumns(check.divergence(edition.divergence));
    const domains = domainDivergencesColumn(edition);
    const added = this.db.write(
      `create edition ${name}`,
      () => this.insert.run(name, description, createdAt, ...divergence, domains).changes,
    );
    if (added === 0) throw new AlreadyExistsError(`Edition already exists: ${name}`);
  }

  async get(name: string): Promise<EditionRecord | undefined> {
    check.text(name, "edition name");
    const row = this.db.read(`read edition ${name}`, () => this.select.values(name))[0] as Row | undefined;
    return row === undefined ? undefined : record(row);
  }

  async list(): Promise<EditionRecord[]> {
    return (this.db.read("list editions", () => this.all.values()) as Row[]).map(record);
  }

  async delete(name: string): Promise<void> {
    check.text(name, "edition name");
    const removed = this.db.write(`delete edition ${name}`, () => this.remove.run(name).changes);
    if (removed === 0) throw new UnknownEditionError(name);
  }
}
