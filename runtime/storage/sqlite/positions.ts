// PositionStore on bun:sqlite: (consumer, domain, edition) → last processed global position.
import { Editions } from "@angzarr/proto";
import { InvalidInputError } from "../errors";
import type { PositionStore } from "../types";
import type { SqliteDb, Stmt } from "./db";
import * as check from "./validate";

export class SqlitePositionStore implements PositionStore {
  private readonly select: Stmt;
  private readonly upsert: Stmt;
  private readonly remove: Stmt;
  private readonly removeEdition: Stmt;

  constructor(private readonly db: SqliteDb) {
    // Positions are 64-bit: read them as bigint so large values stay exact.
    this.select = db
      .prepare("SELECT position FROM positions WHERE consumer = ?1 AND domain = ?2 AND edition = ?3")
      .safeIntegers(true);
    this.upsert = db.prepare(
      `INSERT INTO positions (consumer, domain, edition, position) VALUES (?1, ?2, ?3, ?4)
       ON CONFLICT (consumer, domain, edition) DO UPDATE SET position = excluded.position`,
    );
    this.remove = db.prepare("DELETE FROM positions WHERE consumer = ?1 AND domain = ?2 AND edition = ?3");
    this.removeEdition = db.prepare("DELETE FROM positions WHERE edition = ?1");
  }

  async get(consumer: string, domain: string, edition: string): Promise<bigint | undefined> {
    const e = this.key(consumer, domain, edition);
    const row = this.db.read(`read position of ${consumer}`, () =>
      this.select.values(consumer, domain, e),
    )[0];
    return row === undefined ? undefined : (row[0] as bigint);
  }

  async put(consumer: string, domain: string, edition: string, position: bigint): Promise<void> {
    const e = this.key(consumer, domain, edition);
    check.position(position);
    this.db.write(`write position of ${consumer}`, () => this.upsert.run(consumer, domain, e, position));
  }

  async reset(consumer: string, domain: string, edition: string): Promise<void> {
    const e = this.key(consumer, domain, edition);
    this.db.write(`reset position of ${consumer}`, () => this.remove.run(consumer, domain, e));
  }

  async deleteEdition(name: string): Promise<number> {
    const edition = check.edition(name);
    if (edition === Editions.MAIN) throw new InvalidInputError("Cannot delete main timeline checkpoints");
    return this.db.write(
      `delete checkpoints of edition ${edition}`,
      () => this.removeEdition.run(edition).changes,
    );
  }

  /** Checks the key; returns the normalised edition. */
  private key(consumer: string, domain: string, edition: string): string {
    check.text(consumer, "consumer");
    check.text(domain, "domain");
    return check.edition(edition);
  }
}
