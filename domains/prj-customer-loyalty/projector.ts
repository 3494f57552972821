// Program projector-customer-loyalty (example-domains §5): one balance row per customer and one
// ledger entry per credit or redemption. Returns LoyaltyBalance. Editions get their own database.
import type { Database, Statement } from "bun:sqlite";
import { AnyPayload, Uuid } from "@angzarr/proto";
import {
  CustomerCreatedSchema,
  LoyaltyBalanceSchema,
  LoyaltyPointsAddedSchema,
  LoyaltyPointsRedeemedSchema,
} from "@angzarr/proto/examples.ts";
import {
  type DecodedPage,
  defineSqliteProjector,
  eventTime,
  isEvent,
  type SqliteProjector,
} from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";

export const PROGRAM = "projector-customer-loyalty";

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS customer_loyalty (
  customer_root TEXT PRIMARY KEY,
  name TEXT NOT NULL DEFAULT '',
  email TEXT NOT NULL DEFAULT '',
  current_points INTEGER NOT NULL DEFAULT 0,
  lifetime_points INTEGER NOT NULL DEFAULT 0,
  redeemed_points INTEGER NOT NULL DEFAULT 0,
  last_sequence INTEGER NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS loyalty_ledger (
  customer_root TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  entry_type TEXT NOT NULL CHECK (entry_type IN ('earned', 'redeemed')),
  points INTEGER NOT NULL,
  balance_after INTEGER NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  reference TEXT NOT NULL DEFAULT '',
  recorded_at TEXT NOT NULL,
  PRIMARY KEY (customer_root, sequence)
);`;

export interface LoyaltyRow {
  customer_root: string;
  name: string;
  email: string;
  current_points: number;
  lifetime_points: number;
  redeemed_points: number;
  last_sequence: number;
  updated_at: string;
}

export interface LedgerRow {
  customer_root: string;
  sequence: number;
  entry_type: "earned" | "redeemed";
  points: number;
  balance_after: number;
  note: string;
  reference: string;
  recorded_at: string;
}

type RootRef = string | Uint8Array;
const rootText = (root: RootRef): string =>
  typeof root === "string" ? root.toLowerCase() : Uuid.toText(root);

/** The balance row of one customer, or undefined. Works on a read-only handle too. */
export function readLoyalty(db: Database, customerRoot: RootRef): LoyaltyRow | undefined {
  return (
    db
      .query<LoyaltyRow, [string]>("SELECT * FROM customer_loyalty WHERE customer_root = ?")
      .get(rootText(customerRoot)) ?? undefined
  );
}

/** The ledger of one customer, in sequence order. */
export function readLedger(db: Database, customerRoot: RootRef): LedgerRow[] {
  return db
    .query<LedgerRow, [string]>("SELECT * FROM loyalty_ledger WHERE customer_root = ? ORDER BY sequence")
    .all(rootText(customerRoot));
}

export type CustomerLoyaltyProjector = SqliteProjector<Statements> & {
  readLoyalty(customerRoot: RootRef): LoyaltyRow | undefined;
  readLedger(customerRoot: RootRef): LedgerRow[];
};

interface Statements {
  db: Database;
  upsertBalance: Statement;
  insertLedger: Statement;
}

function prepare(db: Database): Statements {
  return {
    db,
    upsertBalance: db.query(
      `INSERT INTO customer_loyalty (customer_root, name, email, current_points, lifetime_points, redeemed_points,
         last_sequence, updated_at)
       VALUES ($customer_root, $name, $email, $current_points, $lifetime_points, $redeemed_points,
         $last_sequence, $updated_at)
       ON CONFLICT (customer_root) DO UPDATE SET name = excluded.name, email = excluded.email,
         current_points = excluded.current_points, lifetime_points = excluded.lifetime_points,
         redeemed_points = excluded.redeemed_points, last_sequence = excluded.last_sequence,
         updated_at = excluded.updated_at
       WHERE excluded.last_sequence > customer_loyalty.last_sequence`,
    ),
    insertLedger: db.query(
      `INSERT OR IGNORE INTO loyalty_ledger (customer_root, sequence, entry_type, points, balance_after, note,
         reference, recorded_at)
       VALUES ($customer_root, $sequence, $entry_type, $points, $balance_after, $note, $reference, $recorded_at)`,
    ),
  };
}

function apply(row: LoyaltyRow, { event, page, sequence }: DecodedPage, q: Statements): void {
  const at = eventTime(page);
  if (isEvent(event, CustomerCreatedSchema)) {
    row.name = event.name;
    row.email = event.email;
    row.updated_at = eventTime(page, event.createdAt);
  } else if (isEvent(event, LoyaltyPointsAddedSchema)) {
    row.current_points = event.newBalance;
    row.lifetime_points += event.points;
    row.updated_at = at;
    q.insertLedger.run({
      customer_root: row.customer_root,
      sequence,
      entry_type: "earned",
      points: event.points,
      balance_after: event.newBalance,
      note: event.reason,
      reference: event.reference,
      recorded_at: at,
    });
  } else if (isEvent(event, LoyaltyPointsRedeemedSchema)) {
    row.current_points = event.newBalance;
    row.redeemed_points += event.points;
    row.updated_at = at;
    q.insertLedger.run({
      customer_root: row.customer_root,
      sequence,
      entry_type: "redeemed",
      points: event.points,
      balance_after: event.newBalance,
      note: event.redemptionType,
      reference: "",
      recorded_at: at,
    });
  }
}

export function createCustomerLoyaltyProjector(dbPath: string): CustomerLoyaltyProjector {
  const program = defineSqliteProjector<LoyaltyRow, Statements>({
    name: PROGRAM,
    input: {
      domain: "customer",
      events: [CustomerCreatedSchema, LoyaltyPointsAddedSchema, LoyaltyPointsRedeemedSchema],
    },
    schema: SCHEMA,
    path: dbPath,
    prepare,
    load: (q, root) => readLoyalty(q.db, root),
    fresh: (root) => ({
      customer_root: root,
      name: "",
      email: "",
      current_points: 0,
      lifetime_points: 0,
      redeemed_points: 0,
      last_sequence: -1,
      updated_at: "",
    }),
    apply,
    save: (row, q) => q.upsertBalance.run({ ...row }),
    result(row, { applied, stored }) {
      if (!applied && !stored) return undefined;
      return AnyPayload.pack(
        LoyaltyBalanceSchema,
        create(LoyaltyBalanceSchema, {
          email: row.email,
          name: row.name,
          currentPoints: row.current_points,
          lifetimePoints: row.lifetime_points,
          redeemedPoints: row.redeemed_points,
        }),
      );
    },
  });

  return Object.assign(program, {
    readLoyalty: (customerRoot: RootRef) => readLoyalty(program.db, customerRoot),
    readLedger: (customerRoot: RootRef) => readLedger(program.db, customerRoot),
  });
}
