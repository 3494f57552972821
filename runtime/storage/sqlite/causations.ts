// CausationStore on bun:sqlite: which component has handled which source page, plus its outcome.
import { Editions } from "@angzarr/proto";
import { InvalidInputError } from "../errors";
import type { CausationKey, CausationStore } from "../types";
import type { SqliteDb, Stmt } from "./db";
import * as check from "./validate";

/** Insert-if-absent of one causation record; `changes` tells whether it was new. */
export const CAUSATION_INSERT = `INSERT OR IGNORE INTO causations (component, domain, edition, root, sequence, outcome)
  VALUES (?1, ?2, ?3, ?4, ?5, ?6)`;

const KEY = "component = ?1 AND domain = ?2 AND edition = ?3 AND root = ?4 AND sequence = ?5";

/** A validated key with its edition normalised (also used by appends that record one). */
export function validKey(key: CausationKey): CausationKey {
  check.object(key, "causation key");
  check.text(key.component, "component");
  check.text(key.domain, "domain");
  const edition = check.edition(key.edition);
  check.root(key.root);
  check.sequence(key.sequence);
  return edition === key.edition ? key : { ...key, edition };
}

export class SqliteCausationStore implements CausationStore {
  private readonly insert: Stmt;
  private readonly select: Stmt;
  private readonly removeEdition: Stmt;

  constructor(private readonly db: SqliteDb) {
    this.insert = db.prepare(CAUSATION_INSERT);
    this.select = db.prepare(`SELECT outcome FROM causations WHERE ${KEY}`);
    this.removeEdition = db.prepare("DELETE FROM causations WHERE edition = ?1");
  }

  async deleteEdition(name: string): Promise<number> {
    const edition = check.edition(name);
    if (edition === Editions.MAIN) throw new InvalidInputError("Cannot delete main timeline causations");
    return this.db.write(
      `delete causations of edition ${edition}`,
      () => this.removeEdition.run(edition).changes,
    );
  }

  async record(key: CausationKey, outcome?: Uint8Array): Promise<boolean> {
    const k = validKey(key);
    if (outcome !== undefined) check.bytes(outcome, "outcome");
    return this.db.write(
      `record causation of ${k.component}`,
      () =>
        this.insert.run(k.component, k.domain, k.edition, k.root, k.sequence, outcome ?? null).changes > 0,
    );
  }

  async has(key: CausationKey): Promise<boolean> {
    return this.row(validKey(key)) !== undefined;
  }

  async outcome(key: CausationKey): Promise<Uint8Array | undefined> {
    const row = this.row(validKey(key));
    return row === undefined || row[0] === null ? undefined : row[0];
  }

  private row(k: CausationKey): [Uint8Array | null] | undefined {
    return this.db.read(`read causation of ${k.component}`, () =>
      this.select.values(k.component, k.domain, k.edition, k.root, k.sequence),
    )[0] as [Uint8Array | null] | undefined;
  }
}
