// A projector whose read model is one SQLite row per aggregate (plus whatever else it writes), the
// shape of every example projector. The definition says how to load, start, apply to and save a
// row and what to report; this module does the rest the same way for all of them:
// - one database per timeline: the main timeline in `path`, each edition in a sibling file
//   (`<stem>.edition.<name>.db`), so nothing written for an edition ever reaches the main read
//   model, and deleting an edition (the runtime's `angzarr.EditionEventsDeleted`) removes its file;
// - each book in one transaction, rolled back for a speculative run (same code path, no writes);
// - idempotency by (root, sequence): pages at or below the row's `last_sequence` are skipped;
// - books without a valid root are ignored.
import type { Database } from "bun:sqlite";
import { existsSync, rmSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import { Covers, Editions, type EventBook, type Projection } from "@angzarr/proto";
import type { DescMessage } from "@bufbuild/protobuf";
import type { DecodedPage } from "./components";
import { defineProjector, type ProjectorProgram } from "./projector";
import { inBookTransaction, openProjectionDb } from "./sqlite-projection";

/** What every row of such a read model carries: the last page applied to it. */
export interface ProjectedRow {
  last_sequence: number;
}

export interface SqliteProjectorDefinition<Row extends ProjectedRow, Q> {
  /** Program name, e.g. `projector-order-summary`. */
  name: string;
  input: { domain: string; events: DescMessage[] };
  /** Idempotent DDL run on every database it opens. */
  schema: string;
  /** The main timeline's database file (`:memory:` for tests). */
  path: string;
  /** Prepares the statements the other callbacks use, once per database. */
  prepare(db: Database): Q;
  /** The stored row of a root, if any. */
  load(q: Q, root: string): Row | undefined;
  /** A row for a root seen for the first time (`last_sequence` -1). */
  fresh(root: string, book: EventBook): Row;
  /** Applies one page to the row (and writes any side rows through `q`). */
  apply(row: Row, page: DecodedPage, q: Q): void;
  /** Writes the row after pages were applied to it. */
  save(row: Row, q: Q, book: EventBook): void;
  /**
   * The payload to report for a book: `applied` tells whether any page was new, `stored` whether a
   * row existed before. Undefined = a projection without payload.
   */
  result(
    row: Row,
    context: { pages: DecodedPage[]; applied: boolean; stored: boolean; q: Q },
  ): Projection["projection"];
}

/** The program plus access to its databases (read models and tests). */
export type SqliteProjector<Q> = ProjectorProgram & {
  /** The main timeline's database. */
  db: Database;
  /** The database of a timeline ("" = main), opened on first use. */
  database(edition: string): Database;
  /** The prepared statements of a timeline's database. */
  statements(edition: string): Q;
  /** Where a timeline's database lives (undefined for in-memory ones). */
  pathOf(edition: string): string | undefined;
};

/** `<dir>/<stem>.edition.<name>.db` beside the main file; undefined for in-memory databases. */
export function editionDbPath(path: string, edition: string): string | undefined {
  if (path === ":memory:" || path === "") return undefined;
  const stem = basename(path, extname(path));
  return join(dirname(path), `${stem}.edition.${encodeURIComponent(edition)}${extname(path) || ".db"}`);
}

export function defineSqliteProjector<Row extends ProjectedRow, Q>(
  definition: SqliteProjectorDefinition<Row, Q>,
): SqliteProjector<Q> {
  const open = new Map<string, { db: Database; q: Q }>();
  const pathOf = (edition: string) =>
    edition === Editions.MAIN ? definition.path : editionDbPath(definition.path, edition);
  const timeline = (edition: string) => {
    let entry = open.get(edition);
    if (!entry) {
      const db = openProjectionDb(pathOf(edition) ?? ":memory:", definition.schema);
      entry = { db, q: definition.prepare(db) };
      open.set(edition, entry);
    }
    return entry;
  };
  const main = timeline(Editions.MAIN);

  const deleteEdition = (edition: string): void => {
    if (Editions.isMain(edition)) return;
    open.get(edition)?.db.close();
    open.delete(edition);
    const path = pathOf(edition);
    if (path === undefined) return;
    for (const file of [path, `${path}-wal`, `${path}-shm`])
      if (existsSync(file)) rmSync(file, { force: true });
  };

  const program = defineProjector({
    name: definition.name,
    input: definition.input,
    deleteEdition,
    project(pages, { book, speculative }) {
      if (!Covers.hasValidRoot(book.cover)) return undefined;
      const root = Covers.rootString(book.cover);
      const { db, q } = timeline(Covers.edition(book.cover));
      return inBookTransaction(db, speculative, () => {
        const stored = definition.load(q, root);
        const row = stored ?? definition.fresh(root, book);
        let applied = false;
        for (const page of pages) {
          if (page.sequence < 0 || page.sequence <= row.last_sequence) continue; // already applied
          definition.apply(row, page, q);
          row.last_sequence = page.sequence;
          applied = true;
        }
        if (applied) definition.save(row, q, book);
        return definition.result(row, { pages, applied, stored: stored !== undefined, q });
      });
    },
  });

  return Object.assign(program, {
    db: main.db,
    database: (edition: string) => timeline(Editions.normalize(edition)).db,
    statements: (edition: string) => timeline(Editions.normalize(edition)).q,
    pathOf,
  });
}

/** The database file of a projector program: PROJECTOR_DB, else `<program>.db` in the working folder. */
export function projectorDbPath(program: string): string {
  return process.env.PROJECTOR_DB ?? `${program}.db`;
}
