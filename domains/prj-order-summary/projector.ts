// Program projector-order-summary (example-domains §5): one summary row per order, and a stored
// Receipt when the order completes. Completion books return the Receipt; every other book the
// order's OrderSummary. Editions get their own database (defineSqliteProjector).
import type { Database, Statement } from "bun:sqlite";
import { AnyPayload, Uuid } from "@angzarr/proto";
import {
  type LineItem,
  LineItemSchema,
  LoyaltyDiscountAppliedSchema,
  OrderCancelledSchema,
  type OrderCompleted,
  OrderCompletedSchema,
  OrderCreatedSchema,
  type OrderSummary,
  OrderSummarySchema,
  PaymentSubmittedSchema,
  type Receipt,
  ReceiptSchema,
} from "@angzarr/proto/examples.ts";
import {
  type DecodedPage,
  defineSqliteProjector,
  eventTime,
  isEvent,
  type SqliteProjector,
} from "@angzarr/sdk";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";

export const PROGRAM = "projector-order-summary";

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS order_summary (
  order_root TEXT PRIMARY KEY,
  customer_id TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT '',
  items_json TEXT NOT NULL DEFAULT '[]',
  item_count INTEGER NOT NULL DEFAULT 0,
  subtotal_cents INTEGER NOT NULL DEFAULT 0,
  discount_cents INTEGER NOT NULL DEFAULT 0,
  total_cents INTEGER NOT NULL DEFAULT 0,
  loyalty_points_used INTEGER NOT NULL DEFAULT 0,
  loyalty_points_earned INTEGER NOT NULL DEFAULT 0,
  payment_method TEXT NOT NULL DEFAULT '',
  payment_reference TEXT NOT NULL DEFAULT '',
  cancel_reason TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL DEFAULT '',
  completed_at TEXT NULL,
  cancelled_at TEXT NULL,
  correlation_id TEXT NOT NULL DEFAULT '',
  last_sequence INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS order_receipt (
  order_root TEXT PRIMARY KEY,
  receipt BLOB NOT NULL,
  formatted_text TEXT NOT NULL,
  final_total_cents INTEGER NOT NULL,
  completed_at TEXT NOT NULL
);`;

export interface OrderSummaryRow {
  order_root: string;
  customer_id: string;
  status: string;
  items_json: string;
  item_count: number;
  subtotal_cents: number;
  discount_cents: number;
  total_cents: number;
  loyalty_points_used: number;
  loyalty_points_earned: number;
  payment_method: string;
  payment_reference: string;
  cancel_reason: string;
  created_at: string;
  completed_at: string | null;
  cancelled_at: string | null;
  correlation_id: string;
  last_sequence: number;
}

export interface ReceiptRow {
  order_root: string;
  receipt: Uint8Array;
  formatted_text: string;
  final_total_cents: number;
  completed_at: string;
}

/** One element of `items_json`; `product_root` is UUID text, or "" when the line has none. */
export interface ItemJson {
  product_id: string;
  name: string;
  quantity: number;
  unit_price_cents: number;
  product_root: string;
}

type RootRef = string | Uint8Array;
const rootText = (root: RootRef): string =>
  typeof root === "string" ? root.toLowerCase() : Uuid.toText(root);

/** The summary row of one order, or undefined. Works on a read-only handle too. */
export function readOrderSummary(db: Database, orderRoot: RootRef): OrderSummaryRow | undefined {
  return (
    db
      .query<OrderSummaryRow, [string]>("SELECT * FROM order_summary WHERE order_root = ?")
      .get(rootText(orderRoot)) ?? undefined
  );
}

/** The stored receipt of one order (decoded), or undefined before completion. */
export function readReceipt(
  db: Database,
  orderRoot: RootRef,
): { receipt: Receipt; row: ReceiptRow } | undefined {
  const row = db
    .query<ReceiptRow, [string]>("SELECT * FROM order_receipt WHERE order_root = ?")
    .get(rootText(orderRoot));
  return row ? { receipt: fromBinary(ReceiptSchema, row.receipt), row } : undefined;
}

/** `$` + dollars with two decimals, from integer cents: 2500 → `$25.00`. */
export function money(cents: number): string {
  const sign = cents < 0 ? "-" : "";
  const abs = Math.abs(cents);
  return `${sign}$${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

/** The receipt text of §5, lines joined by `\n`. */
export function formatReceipt(r: {
  orderId: string;
  customerId: string;
  items: LineItem[];
  subtotalCents: number;
  discountCents: number;
  finalTotalCents: number;
  paymentMethod: string;
  paymentReference: string;
  loyaltyPointsEarned: number;
}): string {
  return [
    `Receipt for order ${r.orderId}`,
    `Customer: ${r.customerId}`,
    ...r.items.map(
      (i) =>
        `${i.quantity} x ${i.name || i.productId} @ ${money(i.unitPriceCents)} = ${money(i.quantity * i.unitPriceCents)}`,
    ),
    `Subtotal: ${money(r.subtotalCents)}`,
    ...(r.discountCents > 0 ? [`Discount: -${money(r.discountCents)}`] : []),
    `Total: ${money(r.finalTotalCents)}`,
    `Paid by: ${r.paymentMethod} (${r.paymentReference})`,
    `Loyalty points earned: ${r.loyaltyPointsEarned}`,
  ].join("\n");
}

const toJson = (items: LineItem[]): string =>
  JSON.stringify(
    items.map(
      (i): ItemJson => ({
        product_id: i.productId,
        name: i.name,
        quantity: i.quantity,
        unit_price_cents: i.unitPriceCents,
        product_root: Uuid.isValid(i.productRoot) ? Uuid.toText(i.productRoot) : "",
      }),
    ),
  );

const fromJson = (json: string): LineItem[] =>
  (JSON.parse(json) as ItemJson[]).map((i) =>
    create(LineItemSchema, {
      productId: i.product_id,
      name: i.name,
      quantity: i.quantity,
      unitPriceCents: i.unit_price_cents,
      productRoot: i.product_root ? Uuid.fromText(i.product_root) : new Uint8Array(),
    }),
  );

const setItems = (row: OrderSummaryRow, items: LineItem[]): void => {
  row.items_json = toJson(items);
  row.item_count = items.reduce((n, i) => n + i.quantity, 0);
};

export type OrderSummaryProjector = SqliteProjector<Statements> & {
  readOrderSummary(orderRoot: RootRef): OrderSummaryRow | undefined;
  readReceipt(orderRoot: RootRef): { receipt: Receipt; row: ReceiptRow } | undefined;
};

interface Statements {
  db: Database;
  upsertSummary: Statement;
  insertReceipt: Statement;
}

function prepare(db: Database): Statements {
  return {
    db,
    upsertSummary: db.query(
      `INSERT INTO order_summary (order_root, customer_id, status, items_json, item_count, subtotal_cents,
         discount_cents, total_cents, loyalty_points_used, loyalty_points_earned, payment_method, payment_reference,
         cancel_reason, created_at, completed_at, cancelled_at, correlation_id, last_sequence)
       VALUES ($order_root, $customer_id, $status, $items_json, $item_count, $subtotal_cents, $discount_cents,
         $total_cents, $loyalty_points_used, $loyalty_points_earned, $payment_method, $payment_reference,
         $cancel_reason, $created_at, $completed_at, $cancelled_at, $correlation_id, $last_sequence)
       ON CONFLICT (order_root) DO UPDATE SET customer_id = excluded.customer_id, status = excluded.status,
         items_json = excluded.items_json, item_count = excluded.item_count,
         subtotal_cents = excluded.subtotal_cents, discount_cents = excluded.discount_cents,
         total_cents = excluded.total_cents, loyalty_points_used = excluded.loyalty_points_used,
         loyalty_points_earned = excluded.loyalty_points_earned, payment_method = excluded.payment_method,
         payment_reference = excluded.payment_reference, cancel_reason = excluded.cancel_reason,
         created_at = excluded.created_at, completed_at = excluded.completed_at,
         cancelled_at = excluded.cancelled_at, correlation_id = excluded.correlation_id,
         last_sequence = excluded.last_sequence
       WHERE excluded.last_sequence > order_summary.last_sequence`,
    ),
    insertReceipt: db.query(
      `INSERT INTO order_receipt (order_root, receipt, formatted_text, final_total_cents, completed_at)
       VALUES ($order_root, $receipt, $formatted_text, $final_total_cents, $completed_at)
       ON CONFLICT (order_root) DO NOTHING`,
    ),
  };
}

function storeReceipt(q: Statements, row: OrderSummaryRow, event: OrderCompleted, completedAt: string): void {
  const items = fromJson(row.items_json);
  const fields = {
    orderId: row.order_root,
    customerId: row.customer_id,
    items,
    subtotalCents: row.subtotal_cents,
    discountCents: row.discount_cents,
    finalTotalCents: event.finalTotalCents,
    paymentMethod: row.payment_method,
    paymentReference: row.payment_reference,
    loyaltyPointsEarned: event.loyaltyPointsEarned,
  };
  const receipt = create(ReceiptSchema, {
    orderId: fields.orderId,
    customerId: fields.customerId,
    items,
    subtotalCents: fields.subtotalCents,
    discountCents: fields.discountCents,
    finalTotalCents: fields.finalTotalCents,
    paymentMethod: fields.paymentMethod,
    loyaltyPointsEarned: fields.loyaltyPointsEarned,
    ...(event.completedAt ? { completedAt: event.completedAt } : {}),
    formattedText: formatReceipt(fields),
  });
  q.insertReceipt.run({
    order_root: row.order_root,
    receipt: toBinary(ReceiptSchema, receipt),
    formatted_text: receipt.formattedText,
    final_total_cents: receipt.finalTotalCents,
    completed_at: completedAt,
  });
}

function apply(row: OrderSummaryRow, { event, page }: DecodedPage, q: Statements): void {
  if (isEvent(event, OrderCreatedSchema)) {
    row.customer_id = event.customerId;
    row.status = "pending";
    setItems(row, event.items);
    row.subtotal_cents = event.subtotalCents;
    row.discount_cents = 0;
    row.total_cents = event.subtotalCents;
    row.loyalty_points_used = 0;
    row.created_at = eventTime(page, event.createdAt);
  } else if (isEvent(event, LoyaltyDiscountAppliedSchema)) {
    row.loyalty_points_used = event.pointsUsed;
    row.discount_cents = event.discountCents;
    row.total_cents = row.subtotal_cents - event.discountCents;
  } else if (isEvent(event, PaymentSubmittedSchema)) {
    row.status = "payment_submitted";
    row.payment_method = event.paymentMethod;
  } else if (isEvent(event, OrderCompletedSchema)) {
    row.status = "completed";
    if (event.items.length > 0) setItems(row, event.items);
    if (event.paymentMethod !== "") row.payment_method = event.paymentMethod;
    row.payment_reference = event.paymentReference;
    row.total_cents = event.finalTotalCents;
    row.loyalty_points_earned = event.loyaltyPointsEarned;
    row.completed_at = eventTime(page, event.completedAt);
    storeReceipt(q, row, event, row.completed_at);
  } else if (isEvent(event, OrderCancelledSchema)) {
    row.status = "cancelled";
    if (event.items.length > 0) setItems(row, event.items);
    row.loyalty_points_used = event.loyaltyPointsUsed;
    row.cancel_reason = event.reason;
    row.cancelled_at = eventTime(page, event.cancelledAt);
  }
}

const freshRow = (root: string): OrderSummaryRow => ({
  order_root: root,
  customer_id: "",
  status: "",
  items_json: "[]",
  item_count: 0,
  subtotal_cents: 0,
  discount_cents: 0,
  total_cents: 0,
  loyalty_points_used: 0,
  loyalty_points_earned: 0,
  payment_method: "",
  payment_reference: "",
  cancel_reason: "",
  created_at: "",
  completed_at: null,
  cancelled_at: null,
  correlation_id: "",
  last_sequence: -1,
});

/** The summary payload of a row (what every book but a completion reports). */
export function summaryOf(row: OrderSummaryRow): OrderSummary {
  return create(OrderSummarySchema, {
    orderId: row.order_root,
    customerId: row.customer_id,
    status: row.status,
    itemCount: row.item_count,
    subtotalCents: row.subtotal_cents,
    discountCents: row.discount_cents,
    totalCents: row.total_cents,
    loyaltyPointsUsed: row.loyalty_points_used,
    loyaltyPointsEarned: row.loyalty_points_earned,
    paymentMethod: row.payment_method,
  });
}

export function createOrderSummaryProjector(dbPath: string): OrderSummaryProjector {
  const program = defineSqliteProjector<OrderSummaryRow, Statements>({
    name: PROGRAM,
    input: {
      domain: "order",
      events: [
        OrderCreatedSchema,
        LoyaltyDiscountAppliedSchema,
        PaymentSubmittedSchema,
        OrderCompletedSchema,
        OrderCancelledSchema,
      ],
    },
    schema: SCHEMA,
    path: dbPath,
    prepare,
    load: (q, root) => readOrderSummary(q.db, root),
    fresh: freshRow,
    apply,
    save(row, q, book) {
      const correlationId = book.cover?.correlationId ?? "";
      if (correlationId !== "") row.correlation_id = correlationId;
      q.upsertSummary.run({ ...row });
    },
    result(row, { pages, applied, stored, q }) {
      // A completion book reports the order's receipt, also when its pages were applied before;
      // every other book the order's summary as it now stands.
      if (pages.some((p) => isEvent(p.event, OrderCompletedSchema))) {
        const receipt = readReceipt(q.db, row.order_root);
        if (receipt) return AnyPayload.pack(ReceiptSchema, receipt.receipt);
      }
      if (!applied && !stored) return undefined;
      return AnyPayload.pack(OrderSummarySchema, summaryOf(row));
    },
  });

  return Object.assign(program, {
    readOrderSummary: (orderRoot: RootRef) => readOrderSummary(program.db, orderRoot),
    readReceipt: (orderRoot: RootRef) => readReceipt(program.db, orderRoot),
  });
}
