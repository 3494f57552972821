// SnapshotStore on bun:sqlite: one row per (domain, edition, root), replaced on put.
import type { Any } from "@bufbuild/protobuf/wkt";
import type { AggregateRef, SnapshotRecord, SnapshotStore } from "../types";
import type { SqliteDb, Stmt } from "./db";
import { historyKey } from "./history-cache";
import * as check from "./validate";

/** Shared with the event store, which writes a snapshot in the same transaction as an append. */
export const SNAPSHOT_UPSERT = `INSERT INTO snapshots (domain, edition, root, sequence, type_url, state)
  VALUES (?1, ?2, ?3, ?4, ?5, ?6)
  ON CONFLICT (domain, edition, root) DO UPDATE
  SET sequence = excluded.sequence, type_url = excluded.type_url, state = excluded.state`;

export class SqliteSnapshotStore implements SnapshotStore {
  private readonly select: Stmt;
  private readonly upsert: Stmt;
  private readonly remove: Stmt;
  private readonly removeEdition: Stmt;

  constructor(private readonly db: SqliteDb) {
    this.select = db.prepare(
      "SELECT sequence, type_url, state FROM snapshots WHERE domain = ?1 AND edition = ?2 AND root = ?3",
    );
    this.upsert = db.prepare(SNAPSHOT_UPSERT);
    this.remove = db.prepare("DELETE FROM snapshots WHERE domain = ?1 AND edition = ?2 AND root = ?3");
    this.removeEdition = db.prepare("DELETE FROM snapshots WHERE domain = ?1 AND edition = ?2");
  }

  async get(target: AggregateRef): Promise<SnapshotRecord | undefined> {
    const ref = check.ref(target);
    return this.db.read(`read snapshot of ${ref.domain}`, () => this.read(ref.domain, ref.edition, ref.root));
  }

  /** The snapshot row as a record (callers map errors). */
  read(domain: string, edition: string, root: Uint8Array): SnapshotRecord | undefined {
    const row = this.select.values(domain, edition, root)[0] as
      | [number, string, Uint8Array | null]
      | undefined;
    if (row === undefined) return undefined;
    const state: Any = {
      $typeName: "google.protobuf.Any",
      typeUrl: row[1],
      value: row[2] ?? new Uint8Array(0),
    };
    return { sequence: row[0], state };
  }

  async put(target: AggregateRef, snapshot: SnapshotRecord): Promise<void> {
    const ref = check.ref(target);
    check.object(snapshot, "snapshot");
    const sequence = check.sequence(snapshot.sequence, "snapshot sequence");
    const state = check.any(snapshot.state, "snapshot state");
    this.db.write(`write snapshot of ${ref.domain}`, () => {
      if (ref.edition === "") this.db.histories.written(historyKey(ref.domain, ref.root));
      this.upsert.run(ref.domain, ref.edition, ref.root, sequence, state.typeUrl, state.value);
    });
  }

  async delete(target: AggregateRef): Promise<void> {
    const ref = check.ref(target);
    this.db.write(`delete snapshot of ${ref.domain}`, () => {
      if (ref.edition === "") this.db.histories.written(historyKey(ref.domain, ref.root));
      this.remove.run(ref.domain, ref.edition, ref.root);
    });
  }

  async deleteEdition(domain: string, name: string): Promise<number> {
    check.text(domain, "domain");
    const edition = check.edition(name);
    return this.db.write(`delete snapshots of edition ${edition || "main"} in ${domain}`, () => {
      if (edition === "") this.db.histories.clear();
      return this.removeEdition.run(domain, edition).changes;
    });
  }
}
