// projector-order-summary against an in-memory SQLite database (example-domains §5, §6.10).
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AnyPayload,
  CoverSchema,
  Covers,
  EditionEventsDeletedSchema,
  type EventBook,
  EventBookSchema,
  EventPages,
  Timestamps,
  Uuid,
} from "@angzarr/proto";
import {
  LineItemSchema,
  LoyaltyDiscountAppliedSchema,
  OrderCancelledSchema,
  OrderCompletedSchema,
  OrderCreatedSchema,
  OrderSummarySchema,
  PaymentSubmittedSchema,
  ReceiptSchema,
} from "@angzarr/proto/examples.ts";
import { create, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { createOrderSummaryProjector, money, PROGRAM, readOrderSummary } from "./projector";

const ORDER = Uuid.v5(Uuid.NAMESPACE_OID, "angzarrorderORD-001");
const OTHER = Uuid.v5(Uuid.NAMESPACE_OID, "angzarrorderORD-002");
const WIDGET_ROOT = Uuid.v5Bytes(Uuid.NAMESPACE_OID, "angzarrproductSKU-1");
const CREATED_AT = Timestamps.fromMillis(Date.UTC(2024, 4, 1, 10, 0, 0));
const COMPLETED_AT = Timestamps.fromMillis(Date.UTC(2024, 4, 1, 11, 30, 0));
const CANCELLED_AT = Timestamps.fromMillis(Date.UTC(2024, 4, 1, 12, 0, 0));

type Page = { seq: number; schema: DescMessage; init: Record<string, unknown> };
const page = <D extends DescMessage>(seq: number, schema: D, init: MessageInitShape<D>): Page => ({
  seq,
  schema,
  init: init as Record<string, unknown>,
});

function book(
  pages: Page[],
  options: { root?: string; edition?: string; correlationId?: string } = {},
): EventBook {
  return create(EventBookSchema, {
    cover: Covers.make({
      domain: "order",
      root: options.root ?? ORDER,
      correlationId: options.correlationId ?? "corr-1",
      ...(options.edition ? { edition: options.edition } : {}),
    }),
    pages: pages.map((p) =>
      EventPages.numbered(p.seq, AnyPayload.pack(p.schema, create(p.schema, p.init)), Timestamps.now()),
    ),
  });
}

const items = () => [
  create(LineItemSchema, {
    productId: "SKU-1",
    name: "Widget",
    quantity: 2,
    unitPriceCents: 1000,
    productRoot: WIDGET_ROOT,
  }),
  create(LineItemSchema, { productId: "SKU-2", name: "Gadget", quantity: 1, unitPriceCents: 2500 }),
];
const created = (seq = 0) =>
  page(seq, OrderCreatedSchema, {
    customerId: "CUST-001",
    items: items(),
    subtotalCents: 4500,
    createdAt: CREATED_AT,
  });
const discounted = (seq = 1) =>
  page(seq, LoyaltyDiscountAppliedSchema, { pointsUsed: 200, discountCents: 200 });
const paid = (seq: number, amount: number) =>
  page(seq, PaymentSubmittedSchema, { paymentMethod: "card", amountCents: amount });
const completed = (seq: number, total: number) =>
  page(seq, OrderCompletedSchema, {
    finalTotalCents: total,
    paymentMethod: "card",
    paymentReference: "pay-123",
    loyaltyPointsEarned: Math.floor(total / 100),
    completedAt: COMPLETED_AT,
    items: items(),
  });

function tables(p: ReturnType<typeof createOrderSummaryProjector>) {
  return {
    summary: p.db.query("SELECT * FROM order_summary ORDER BY order_root").all(),
    receipts: p.db.query("SELECT * FROM order_receipt ORDER BY order_root").all(),
  };
}

const RECEIPT_TEXT = [
  `Receipt for order ${ORDER}`,
  "Customer: CUST-001",
  "2 x Widget @ $10.00 = $20.00",
  "1 x Gadget @ $25.00 = $25.00",
  "Subtotal: $45.00",
  "Discount: -$2.00",
  "Total: $43.00",
  "Paid by: card (pay-123)",
  "Loyalty points earned: 43",
].join("\n");

describe("projector-order-summary", () => {
  test("creates both tables with the columns of §5", () => {
    const p = createOrderSummaryProjector(":memory:");
    const cols = (t: string) =>
      p.db
        .query<{ name: string }, []>(`PRAGMA table_info(${t})`)
        .all()
        .map((c) => c.name);
    expect(cols("order_summary")).toEqual([
      "order_root",
      "customer_id",
      "status",
      "items_json",
      "item_count",
      "subtotal_cents",
      "discount_cents",
      "total_cents",
      "loyalty_points_used",
      "loyalty_points_earned",
      "payment_method",
      "payment_reference",
      "cancel_reason",
      "created_at",
      "completed_at",
      "cancelled_at",
      "correlation_id",
      "last_sequence",
    ]);
    expect(cols("order_receipt")).toEqual([
      "order_root",
      "receipt",
      "formatted_text",
      "final_total_cents",
      "completed_at",
    ]);
  });

  test("the row follows pending → payment_submitted → completed with its totals", () => {
    const p = createOrderSummaryProjector(":memory:");
    const first = p.handle(book([created()]));
    expect(first.projector).toBe(PROGRAM);
    expect(first.sequence).toBe(0);
    expect(AnyPayload.unpack(first.projection, OrderSummarySchema)).toMatchObject({
      orderId: ORDER,
      customerId: "CUST-001",
      status: "pending",
      itemCount: 3,
      subtotalCents: 4500,
      totalCents: 4500,
    });
    expect(p.readOrderSummary(ORDER)).toMatchObject({
      order_root: ORDER,
      customer_id: "CUST-001",
      status: "pending",
      item_count: 3,
      subtotal_cents: 4500,
      discount_cents: 0,
      total_cents: 4500,
      created_at: "2024-05-01T10:00:00.000Z",
      completed_at: null,
      cancelled_at: null,
      correlation_id: "corr-1",
      last_sequence: 0,
    });
    expect(JSON.parse(p.readOrderSummary(ORDER)?.items_json ?? "")).toEqual([
      {
        product_id: "SKU-1",
        name: "Widget",
        quantity: 2,
        unit_price_cents: 1000,
        product_root: Uuid.toText(WIDGET_ROOT),
      },
      { product_id: "SKU-2", name: "Gadget", quantity: 1, unit_price_cents: 2500, product_root: "" },
    ]);

    const second = p.handle(book([discounted()]));
    expect(second.sequence).toBe(1);
    expect(AnyPayload.unpack(second.projection, OrderSummarySchema)).toMatchObject({
      discountCents: 200,
      totalCents: 4300,
    });
    expect(p.readOrderSummary(ORDER)).toMatchObject({
      discount_cents: 200,
      loyalty_points_used: 200,
      total_cents: 4300,
    });

    p.handle(book([paid(2, 4300)]));
    expect(p.readOrderSummary(ORDER)).toMatchObject({ status: "payment_submitted", payment_method: "card" });

    p.handle(book([completed(3, 4300)]));
    expect(p.readOrderSummary(ORDER)).toMatchObject({
      status: "completed",
      total_cents: 4300,
      loyalty_points_earned: 43,
      payment_reference: "pay-123",
      completed_at: "2024-05-01T11:30:00.000Z",
      last_sequence: 3,
    });
  });

  test("completion stores an encoded Receipt with its formatted text and returns it", () => {
    const p = createOrderSummaryProjector(":memory:");
    p.handle(book([created(), discounted(), paid(2, 4300)]));
    const out = p.handle(book([completed(3, 4300)]));
    expect(out.sequence).toBe(3);
    expect(out.projection?.typeUrl).toBe("type.googleapis.com/examples.Receipt");
    const receipt = AnyPayload.unpack(out.projection, ReceiptSchema);
    expect(receipt).toMatchObject({
      orderId: ORDER,
      customerId: "CUST-001",
      subtotalCents: 4500,
      discountCents: 200,
      finalTotalCents: 4300,
      paymentMethod: "card",
      loyaltyPointsEarned: 43,
      formattedText: RECEIPT_TEXT,
    });
    expect(receipt.items.map((i) => [i.productId, i.quantity])).toEqual([
      ["SKU-1", 2],
      ["SKU-2", 1],
    ]);
    expect(receipt.completedAt).toEqual(COMPLETED_AT);
    const stored = p.readReceipt(ORDER);
    expect(stored?.receipt).toEqual(receipt);
    expect(stored?.row).toMatchObject({
      formatted_text: RECEIPT_TEXT,
      final_total_cents: 4300,
      completed_at: "2024-05-01T11:30:00.000Z",
    });
  });

  test("a receipt without a discount has no Discount line", () => {
    const p = createOrderSummaryProjector(":memory:");
    const out = p.handle(book([created(), paid(1, 4500), completed(2, 4500)]));
    const text = AnyPayload.unpack(out.projection, ReceiptSchema).formattedText;
    expect(text.split("\n")).toEqual([
      `Receipt for order ${ORDER}`,
      "Customer: CUST-001",
      "2 x Widget @ $10.00 = $20.00",
      "1 x Gadget @ $25.00 = $25.00",
      "Subtotal: $45.00",
      "Total: $45.00",
      "Paid by: card (pay-123)",
      "Loyalty points earned: 45",
    ]);
  });

  test("money is $ + dollars with two decimals", () => {
    expect([money(2500), money(5), money(0), money(123456), money(-250)]).toEqual([
      "$25.00",
      "$0.05",
      "$0.00",
      "$1234.56",
      "-$2.50",
    ]);
  });

  test("cancellation records reason, points used and time", () => {
    const p = createOrderSummaryProjector(":memory:");
    p.handle(book([created(), discounted(), paid(2, 4300)], { root: OTHER }));
    const out = p.handle(
      book(
        [
          page(3, OrderCancelledSchema, {
            reason: "changed mind",
            cancelledAt: CANCELLED_AT,
            loyaltyPointsUsed: 200,
            items: items(),
          }),
        ],
        { root: OTHER },
      ),
    );
    expect(AnyPayload.unpack(out.projection, OrderSummarySchema).status).toBe("cancelled");
    expect(p.readOrderSummary(OTHER)).toMatchObject({
      status: "cancelled",
      cancel_reason: "changed mind",
      loyalty_points_used: 200,
      total_cents: 4300,
      cancelled_at: "2024-05-01T12:00:00.000Z",
      completed_at: null,
      last_sequence: 3,
    });
    expect(p.readReceipt(OTHER)).toBeUndefined();
  });

  test("the same book twice, or an older page after a newer one, leaves the tables unchanged", () => {
    const p = createOrderSummaryProjector(":memory:");
    const full = book([created(), paid(1, 4500), completed(2, 4500)]);
    const first = p.handle(full);
    const before = tables(p);
    const again = p.handle(full);
    expect(tables(p)).toEqual(before);
    expect(again.projection).toEqual(first.projection);
    p.handle(book([paid(1, 9999)], { correlationId: "other" }));
    p.handle(book([created(0)]));
    expect(tables(p)).toEqual(before);
  });

  test("a speculative run returns the real run's payload and writes nothing", () => {
    const p = createOrderSummaryProjector(":memory:");
    p.handle(book([created(), paid(1, 4500)]));
    const completion = book([completed(2, 4500)]);
    const before = tables(p);
    const speculative = p.handle(completion, true);
    expect(tables(p)).toEqual(before);
    expect(p.readReceipt(ORDER)).toBeUndefined();
    const real = p.handle(completion);
    expect(speculative).toEqual(real);
    expect(real.projection?.typeUrl).toBe("type.googleapis.com/examples.Receipt");
    const after = tables(p);
    expect(p.handle(completion, true)).toEqual(real);
    expect(tables(p)).toEqual(after);
  });

  test("edition books go to the edition's own database; deleting the edition removes it", () => {
    const dir = mkdtempSync(join(tmpdir(), "prj-order-"));
    try {
      const p = createOrderSummaryProjector(join(dir, "projector-order-summary.db"));
      p.handle(book([created()]));
      const out = p.handle(book([created(), paid(1, 4500), completed(2, 4500)], { edition: "what-if" }));
      expect(out.projection?.typeUrl).toBe("type.googleapis.com/examples.Receipt");
      // Main holds only its own order, still pending; the edition's database holds the what-if.
      expect(tables(p).summary).toMatchObject([{ status: "pending", last_sequence: 0 }]);
      expect(tables(p).receipts).toEqual([]);
      const edition = p.database("what-if");
      expect(readOrderSummary(edition, ORDER)).toMatchObject({ status: "completed", last_sequence: 2 });
      const file = p.pathOf("what-if") ?? "";
      expect(file).toBe(join(dir, "projector-order-summary.edition.what-if.db"));
      expect(existsSync(file)).toBe(true);

      const deletion = create(EventBookSchema, {
        cover: create(CoverSchema, { domain: "order", edition: { name: "what-if" } }),
        pages: [
          EventPages.forced(
            AnyPayload.pack(
              EditionEventsDeletedSchema,
              create(EditionEventsDeletedSchema, { edition: "what-if", domain: "order" }),
            ),
          ),
        ],
      });
      p.handle(deletion, true); // speculative: nothing happens
      expect(existsSync(file)).toBe(true);
      p.handle(deletion);
      expect(existsSync(file)).toBe(false);
      expect(readOrderSummary(p.database("what-if"), ORDER)).toBeUndefined();
      expect(tables(p).summary).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
