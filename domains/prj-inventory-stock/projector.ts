// Program projector-inventory-stock (example-domains §5): one stock row per inventory aggregate
// and one row per reservation, from the inventory events' facts. Returns StockLevel. Editions get
// their own database.
import type { Database, Statement } from "bun:sqlite";
import { AnyPayload, Uuid } from "@angzarr/proto";
import {
  LowStockAlertSchema,
  ReservationCommittedSchema,
  ReservationReleasedSchema,
  StockInitializedSchema,
  StockLevelSchema,
  StockReceivedSchema,
  StockReservedSchema,
} from "@angzarr/proto/examples.ts";
import {
  type DecodedPage,
  defineSqliteProjector,
  eventTime,
  isEvent,
  type SqliteProjector,
} from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";

export const PROGRAM = "projector-inventory-stock";

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS inventory_stock (
  product_root TEXT PRIMARY KEY,
  product_id TEXT NOT NULL DEFAULT '',
  on_hand INTEGER NOT NULL DEFAULT 0,
  reserved INTEGER NOT NULL DEFAULT 0,
  available INTEGER NOT NULL DEFAULT 0,
  low_stock_threshold INTEGER NOT NULL DEFAULT 0,
  low_stock INTEGER NOT NULL DEFAULT 0 CHECK (low_stock IN (0, 1)),
  last_alert_at TEXT NULL,
  last_sequence INTEGER NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS inventory_reservation (
  product_root TEXT NOT NULL,
  order_id TEXT NOT NULL,
  quantity INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('reserved', 'released', 'committed')),
  last_sequence INTEGER NOT NULL,
  PRIMARY KEY (product_root, order_id)
);`;

export interface StockRow {
  product_root: string;
  product_id: string;
  on_hand: number;
  reserved: number;
  available: number;
  low_stock_threshold: number;
  low_stock: number;
  last_alert_at: string | null;
  last_sequence: number;
  updated_at: string;
}

export interface ReservationRow {
  product_root: string;
  order_id: string;
  quantity: number;
  status: "reserved" | "released" | "committed";
  last_sequence: number;
}

type RootRef = string | Uint8Array;
const rootText = (root: RootRef): string =>
  typeof root === "string" ? root.toLowerCase() : Uuid.toText(root);

/** The stock row of one inventory aggregate, or undefined. Works on a read-only handle too. */
export function readStock(db: Database, productRoot: RootRef): StockRow | undefined {
  return (
    db
      .query<StockRow, [string]>("SELECT * FROM inventory_stock WHERE product_root = ?")
      .get(rootText(productRoot)) ?? undefined
  );
}

/** The reservation rows of one inventory aggregate, by order id. */
export function readReservations(db: Database, productRoot: RootRef): ReservationRow[] {
  return db
    .query<ReservationRow, [string]>(
      "SELECT * FROM inventory_reservation WHERE product_root = ? ORDER BY order_id",
    )
    .all(rootText(productRoot));
}

export type InventoryStockProjector = SqliteProjector<Statements> & {
  readStock(productRoot: RootRef): StockRow | undefined;
  readReservations(productRoot: RootRef): ReservationRow[];
};

const isLow = (row: StockRow): boolean =>
  row.low_stock_threshold > 0 && row.available < row.low_stock_threshold;

function setFacts(row: StockRow, onHand: number, reserved: number): void {
  row.on_hand = onHand;
  row.reserved = reserved;
  row.available = onHand - reserved;
  row.low_stock = isLow(row) ? 1 : 0;
}

interface Statements {
  db: Database;
  upsertStock: Statement;
  upsertReservation: Statement;
}

function prepare(db: Database): Statements {
  return {
    db,
    upsertStock: db.query(
      `INSERT INTO inventory_stock (product_root, product_id, on_hand, reserved, available, low_stock_threshold,
         low_stock, last_alert_at, last_sequence, updated_at)
       VALUES ($product_root, $product_id, $on_hand, $reserved, $available, $low_stock_threshold,
         $low_stock, $last_alert_at, $last_sequence, $updated_at)
       ON CONFLICT (product_root) DO UPDATE SET product_id = excluded.product_id, on_hand = excluded.on_hand,
         reserved = excluded.reserved, available = excluded.available,
         low_stock_threshold = excluded.low_stock_threshold, low_stock = excluded.low_stock,
         last_alert_at = excluded.last_alert_at, last_sequence = excluded.last_sequence,
         updated_at = excluded.updated_at
       WHERE excluded.last_sequence > inventory_stock.last_sequence`,
    ),
    upsertReservation: db.query(
      `INSERT INTO inventory_reservation (product_root, order_id, quantity, status, last_sequence)
       VALUES ($product_root, $order_id, $quantity, $status, $last_sequence)
       ON CONFLICT (product_root, order_id) DO UPDATE SET quantity = excluded.quantity, status = excluded.status,
         last_sequence = excluded.last_sequence
       WHERE excluded.last_sequence > inventory_reservation.last_sequence`,
    ),
  };
}

/** Applies one page to the in-memory row (and writes its reservation row). */
function apply(row: StockRow, { event, page, sequence }: DecodedPage, q: Statements): void {
  const reservation = (orderId: string, quantity: number, status: ReservationRow["status"]) =>
    q.upsertReservation.run({
      product_root: row.product_root,
      order_id: orderId,
      quantity,
      status,
      last_sequence: sequence,
    });
  if (isEvent(event, StockInitializedSchema)) {
    row.product_id = event.productId;
    row.low_stock_threshold = event.lowStockThreshold;
    setFacts(row, event.quantity, 0);
    row.updated_at = eventTime(page, event.initializedAt);
  } else if (isEvent(event, StockReceivedSchema)) {
    setFacts(row, event.newOnHand, row.reserved);
    row.updated_at = eventTime(page, event.receivedAt);
  } else if (isEvent(event, StockReservedSchema)) {
    setFacts(row, event.newOnHand, event.newReserved);
    reservation(event.orderId, event.quantity, "reserved");
    row.updated_at = eventTime(page, event.reservedAt);
  } else if (isEvent(event, ReservationReleasedSchema)) {
    setFacts(row, event.newOnHand, event.newReserved);
    reservation(event.orderId, event.quantity, "released");
    row.updated_at = eventTime(page, event.releasedAt);
  } else if (isEvent(event, ReservationCommittedSchema)) {
    setFacts(row, event.newOnHand, event.newReserved);
    reservation(event.orderId, event.quantity, "committed");
    row.updated_at = eventTime(page, event.committedAt);
  } else if (isEvent(event, LowStockAlertSchema)) {
    if (row.product_id === "") row.product_id = event.productId;
    if (event.threshold > 0) row.low_stock_threshold = event.threshold;
    row.low_stock = 1;
    row.last_alert_at = eventTime(page, event.alertedAt);
    row.updated_at = row.last_alert_at;
  }
}

export function createInventoryStockProjector(dbPath: string): InventoryStockProjector {
  const program = defineSqliteProjector<StockRow, Statements>({
    name: PROGRAM,
    input: {
      domain: "inventory",
      events: [
        StockInitializedSchema,
        StockReceivedSchema,
        StockReservedSchema,
        ReservationReleasedSchema,
        ReservationCommittedSchema,
        LowStockAlertSchema,
      ],
    },
    schema: SCHEMA,
    path: dbPath,
    prepare,
    load: (q, root) => readStock(q.db, root),
    fresh: (root) => ({
      product_root: root,
      product_id: "",
      on_hand: 0,
      reserved: 0,
      available: 0,
      low_stock_threshold: 0,
      low_stock: 0,
      last_alert_at: null,
      last_sequence: -1,
      updated_at: "",
    }),
    apply,
    save: (row, q) => q.upsertStock.run({ ...row }),
    result(row, { applied, stored }) {
      if (!applied && !stored) return undefined;
      return AnyPayload.pack(
        StockLevelSchema,
        create(StockLevelSchema, {
          productId: row.product_id,
          onHand: row.on_hand,
          reserved: row.reserved,
          available: row.available,
          lowStockThreshold: row.low_stock_threshold,
          lowStock: row.low_stock === 1,
        }),
      );
    },
  });

  return Object.assign(program, {
    readStock: (productRoot: RootRef) => readStock(program.db, productRoot),
    readReservations: (productRoot: RootRef) => readReservations(program.db, productRoot),
  });
}
