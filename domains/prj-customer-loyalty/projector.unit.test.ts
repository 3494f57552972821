// projector-customer-loyalty against an in-memory SQLite database (example-domains §5, §6.10).
import { describe, expect, test } from "bun:test";
import {
  AnyPayload,
  Covers,
  type EventBook,
  EventBookSchema,
  EventPages,
  Timestamps,
  Uuid,
} from "@angzarr/proto";
import {
  CustomerCreatedSchema,
  LoyaltyBalanceSchema,
  LoyaltyPointsAddedSchema,
  LoyaltyPointsRedeemedSchema,
} from "@angzarr/proto/examples.ts";
import { create, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { createCustomerLoyaltyProjector, PROGRAM } from "./projector";

const ROOT = Uuid.v5(Uuid.NAMESPACE_OID, "angzarrcustomeralice@example.com");
const AT = (minute: number) => Timestamps.fromMillis(Date.UTC(2024, 5, 1, 9, minute, 0));

type Page = { seq: number; schema: DescMessage; init: Record<string, unknown> };
const page = <D extends DescMessage>(seq: number, schema: D, init: MessageInitShape<D>): Page => ({
  seq,
  schema,
  init: init as Record<string, unknown>,
});

function book(pages: Page[], edition?: string): EventBook {
  return create(EventBookSchema, {
    cover: Covers.make({
      domain: "customer",
      root: ROOT,
      correlationId: "corr-1",
      ...(edition ? { edition } : {}),
    }),
    pages: pages.map((p) =>
      EventPages.numbered(p.seq, AnyPayload.pack(p.schema, create(p.schema, p.init)), AT(p.seq)),
    ),
  });
}

const created = () => page(0, CustomerCreatedSchema, { name: "Alice", email: "alice@example.com" });
const added = (seq: number, points: number, newBalance: number, reason: string, reference = "") =>
  page(seq, LoyaltyPointsAddedSchema, { points, newBalance, reason, reference });
const redeemed = (seq: number, points: number, newBalance: number, redemptionType: string) =>
  page(seq, LoyaltyPointsRedeemedSchema, { points, newBalance, redemptionType });

function tables(p: ReturnType<typeof createCustomerLoyaltyProjector>) {
  return {
    balances: p.db.query("SELECT * FROM customer_loyalty ORDER BY customer_root").all(),
    ledger: p.db.query("SELECT * FROM loyalty_ledger ORDER BY customer_root, sequence").all(),
  };
}

const balance = (out: ReturnType<ReturnType<typeof createCustomerLoyaltyProjector>["handle"]>) =>
  AnyPayload.unpack(out.projection, LoyaltyBalanceSchema);

describe("projector-customer-loyalty", () => {
  test("creates both tables with the columns of §5", () => {
    const p = createCustomerLoyaltyProjector(":memory:");
    const cols = (t: string) =>
      p.db
        .query<{ name: string }, []>(`PRAGMA table_info(${t})`)
        .all()
        .map((c) => c.name);
    expect(cols("customer_loyalty")).toEqual([
      "customer_root",
      "name",
      "email",
      "current_points",
      "lifetime_points",
      "redeemed_points",
      "last_sequence",
      "updated_at",
    ]);
    expect(cols("loyalty_ledger")).toEqual([
      "customer_root",
      "sequence",
      "entry_type",
      "points",
      "balance_after",
      "note",
      "reference",
      "recorded_at",
    ]);
  });

  test("creation records name and e-mail with zero points and returns a LoyaltyBalance", () => {
    const p = createCustomerLoyaltyProjector(":memory:");
    const out = p.handle(book([created()]));
    expect(out.projector).toBe(PROGRAM);
    expect(out.projection?.typeUrl).toBe("type.googleapis.com/examples.LoyaltyBalance");
    expect(balance(out)).toMatchObject({
      name: "Alice",
      email: "alice@example.com",
      currentPoints: 0,
      lifetimePoints: 0,
      redeemedPoints: 0,
    });
    expect(p.readLoyalty(ROOT)).toMatchObject({
      name: "Alice",
      email: "alice@example.com",
      last_sequence: 0,
    });
    expect(p.readLedger(ROOT)).toEqual([]);
  });

  test("current = new_balance, lifetime += added, redeemed += redeemed; one ledger entry each", () => {
    const p = createCustomerLoyaltyProjector(":memory:");
    p.handle(book([created(), added(1, 300, 300, "Welcome bonus", "promo:welcome")]));
    const out = p.handle(
      book([
        redeemed(2, 200, 100, "discount"),
        added(3, 50, 150, "Earned from order o-1", "earn:o-1"),
        added(4, 200, 350, "Refund for cancelled order o-2", "refund:o-2"),
      ]),
    );
    expect(balance(out)).toMatchObject({ currentPoints: 350, lifetimePoints: 550, redeemedPoints: 200 });
    expect(p.readLoyalty(ROOT)).toMatchObject({
      current_points: 350,
      lifetime_points: 550,
      redeemed_points: 200,
      last_sequence: 4,
      updated_at: "2024-06-01T09:04:00.000Z",
    });
    expect(p.readLedger(ROOT)).toEqual([
      {
        customer_root: ROOT,
        sequence: 1,
        entry_type: "earned",
        points: 300,
        balance_after: 300,
        note: "Welcome bonus",
        reference: "promo:welcome",
        recorded_at: "2024-06-01T09:01:00.000Z",
      },
      {
        customer_root: ROOT,
        sequence: 2,
        entry_type: "redeemed",
        points: 200,
        balance_after: 100,
        note: "discount",
        reference: "",
        recorded_at: "2024-06-01T09:02:00.000Z",
      },
      {
        customer_root: ROOT,
        sequence: 3,
        entry_type: "earned",
        points: 50,
        balance_after: 150,
        note: "Earned from order o-1",
        reference: "earn:o-1",
        recorded_at: "2024-06-01T09:03:00.000Z",
      },
      {
        customer_root: ROOT,
        sequence: 4,
        entry_type: "earned",
        points: 200,
        balance_after: 350,
        note: "Refund for cancelled order o-2",
        reference: "refund:o-2",
        recorded_at: "2024-06-01T09:04:00.000Z",
      },
    ]);
  });

  test("the same book twice, or an older page after a newer one, leaves the tables unchanged", () => {
    const p = createCustomerLoyaltyProjector(":memory:");
    const full = book([created(), added(1, 100, 100, "bonus"), redeemed(2, 40, 60, "discount")]);
    const first = p.handle(full);
    const before = tables(p);
    const again = p.handle(full);
    expect(tables(p)).toEqual(before);
    expect(again.projection).toEqual(first.projection);
    p.handle(book([added(1, 100, 100, "bonus")]));
    p.handle(book([redeemed(2, 40, 60, "discount")]));
    expect(tables(p)).toEqual(before);
    expect(p.readLoyalty(ROOT)).toMatchObject({
      current_points: 60,
      lifetime_points: 100,
      redeemed_points: 40,
    });
  });

  test("a speculative run returns the real run's payload and writes nothing", () => {
    const p = createCustomerLoyaltyProjector(":memory:");
    p.handle(book([created(), added(1, 100, 100, "bonus")]));
    const next = book([added(2, 50, 150, "Earned from order o-1", "earn:o-1")]);
    const before = tables(p);
    const speculative = p.handle(next, true);
    expect(tables(p)).toEqual(before);
    const real = p.handle(next);
    expect(speculative).toEqual(real);
    expect(balance(real)).toMatchObject({ currentPoints: 150, lifetimePoints: 150 });
    const after = tables(p);
    expect(p.handle(next, true)).toEqual(real);
    expect(tables(p)).toEqual(after);
  });

  test("edition books go to the edition's own database, never the main one", () => {
    const p = createCustomerLoyaltyProjector(":memory:");
    const out = p.handle(book([created(), added(1, 100, 100, "bonus")], "what-if"));
    expect(out.projection).toBeDefined();
    expect(tables(p)).toEqual({ balances: [], ledger: [] });
    const main = p.db;
    const edition = p.database("what-if");
    expect(edition).not.toBe(main);
    expect(edition.query("SELECT count(*) AS n FROM customer_loyalty").get()).toEqual({ n: 1 });
  });
});
