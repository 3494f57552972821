// projector-inventory-stock against an in-memory SQLite database (example-domains §5, §6.10).
import { describe, expect, test } from "bun:test";
import {
  AnyPayload,
  Covers,
  type EventBook,
  EventBookSchema,
  EventPages,
  GetDescriptorRequestSchema,
  ProjectorCoordinator,
  Projector as ProjectorService,
  SyncEventBookSchema,
  Timestamps,
  Uuid,
} from "@angzarr/proto";
import {
  LowStockAlertSchema,
  ReservationCommittedSchema,
  ReservationReleasedSchema,
  StockInitializedSchema,
  StockLevelSchema,
  StockReceivedSchema,
  StockReservedSchema,
} from "@angzarr/proto/examples.ts";
import { buildRouter, MemoryClient, projectorComponent, unary } from "@angzarr/sdk";
import { create, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { createInventoryStockProjector, PROGRAM, type StockRow } from "./projector";

const ROOT = Uuid.v5(Uuid.NAMESPACE_DNS, "SKU-001");
const ALERT_AT = Timestamps.fromMillis(Date.UTC(2024, 0, 2, 3, 4, 5));

type Page = { seq: number; schema: DescMessage; init: Record<string, unknown> };
const page = <D extends DescMessage>(seq: number, schema: D, init: MessageInitShape<D>): Page => ({
  seq,
  schema,
  init: init as Record<string, unknown>,
});

function book(pages: Page[], edition?: string): EventBook {
  return create(EventBookSchema, {
    cover: Covers.make({
      domain: "inventory",
      root: ROOT,
      correlationId: "corr-1",
      ...(edition ? { edition } : {}),
    }),
    pages: pages.map((p) =>
      EventPages.numbered(p.seq, AnyPayload.pack(p.schema, create(p.schema, p.init)), Timestamps.now()),
    ),
  });
}

const initialized = (seq = 0, quantity = 100, threshold = 10) =>
  page(seq, StockInitializedSchema, { productId: "SKU-001", quantity, lowStockThreshold: threshold });
const reserved = (seq: number, orderId: string, quantity: number, newReserved: number, newOnHand: number) =>
  page(seq, StockReservedSchema, {
    quantity,
    orderId,
    newAvailable: newOnHand - newReserved,
    newReserved,
    newOnHand,
  });

function tables(projector: ReturnType<typeof createInventoryStockProjector>) {
  return {
    stock: projector.db.query("SELECT * FROM inventory_stock ORDER BY product_root").all(),
    reservations: projector.db.query("SELECT * FROM inventory_reservation ORDER BY order_id").all(),
  };
}

const level = (projection: ReturnType<ReturnType<typeof createInventoryStockProjector>["handle"]>) =>
  AnyPayload.unpack(projection.projection, StockLevelSchema);

describe("projector-inventory-stock", () => {
  test("creates both tables with the columns of §5", () => {
    const p = createInventoryStockProjector(":memory:");
    const cols = (t: string) =>
      p.db
        .query<{ name: string }, []>(`PRAGMA table_info(${t})`)
        .all()
        .map((c) => c.name);
    expect(cols("inventory_stock")).toEqual([
      "product_root",
      "product_id",
      "on_hand",
      "reserved",
      "available",
      "low_stock_threshold",
      "low_stock",
      "last_alert_at",
      "last_sequence",
      "updated_at",
    ]);
    expect(cols("inventory_reservation")).toEqual([
      "product_root",
      "order_id",
      "quantity",
      "status",
      "last_sequence",
    ]);
  });

  test("initialising creates the row and returns a StockLevel", () => {
    const p = createInventoryStockProjector(":memory:");
    const out = p.handle(book([initialized()]));
    expect(out.projector).toBe(PROGRAM);
    expect(out.sequence).toBe(0);
    expect(out.projection?.typeUrl).toBe("type.googleapis.com/examples.StockLevel");
    expect(level(out)).toMatchObject({
      productId: "SKU-001",
      onHand: 100,
      reserved: 0,
      available: 100,
      lowStockThreshold: 10,
      lowStock: false,
    });
    expect(p.readStock(ROOT)).toMatchObject({
      product_root: ROOT,
      product_id: "SKU-001",
      on_hand: 100,
      reserved: 0,
      available: 100,
      low_stock_threshold: 10,
      low_stock: 0,
      last_alert_at: null,
      last_sequence: 0,
    } satisfies Partial<StockRow>);
    expect(p.readStock(Uuid.fromText(ROOT))?.product_id).toBe("SKU-001");
  });

  test("later events set on-hand, reserved and available from their facts", () => {
    const p = createInventoryStockProjector(":memory:");
    p.handle(book([initialized()]));
    p.handle(book([page(1, StockReceivedSchema, { quantity: 50, newOnHand: 150, reference: "po-1" })]));
    expect(p.readStock(ROOT)).toMatchObject({ on_hand: 150, reserved: 0, available: 150, last_sequence: 1 });

    const out = p.handle(book([reserved(2, "order-a", 20, 20, 150), reserved(3, "order-b", 30, 50, 150)]));
    expect(level(out)).toMatchObject({ onHand: 150, reserved: 50, available: 100 });
    expect(p.readStock(ROOT)).toMatchObject({ on_hand: 150, reserved: 50, available: 100, last_sequence: 3 });

    p.handle(
      book([
        page(4, ReservationCommittedSchema, {
          orderId: "order-a",
          quantity: 20,
          newOnHand: 130,
          newReserved: 30,
        }),
        page(5, ReservationReleasedSchema, {
          orderId: "order-b",
          quantity: 30,
          newAvailable: 130,
          newReserved: 0,
          newOnHand: 130,
        }),
      ]),
    );
    expect(p.readStock(ROOT)).toMatchObject({ on_hand: 130, reserved: 0, available: 130, last_sequence: 5 });
  });

  test("a reservation row moves from reserved to committed or released", () => {
    const p = createInventoryStockProjector(":memory:");
    p.handle(book([initialized(), reserved(1, "order-a", 20, 20, 100), reserved(2, "order-b", 30, 50, 100)]));
    expect(p.readReservations(ROOT)).toEqual([
      { product_root: ROOT, order_id: "order-a", quantity: 20, status: "reserved", last_sequence: 1 },
      { product_root: ROOT, order_id: "order-b", quantity: 30, status: "reserved", last_sequence: 2 },
    ]);
    p.handle(
      book([
        page(3, ReservationCommittedSchema, {
          orderId: "order-a",
          quantity: 20,
          newOnHand: 80,
          newReserved: 30,
        }),
      ]),
    );
    p.handle(
      book([
        page(4, ReservationReleasedSchema, {
          orderId: "order-b",
          quantity: 30,
          newAvailable: 80,
          newReserved: 0,
          newOnHand: 80,
        }),
      ]),
    );
    expect(p.readReservations(ROOT).map((r) => [r.order_id, r.status, r.quantity, r.last_sequence])).toEqual([
      ["order-a", "committed", 20, 3],
      ["order-b", "released", 30, 4],
    ]);
  });

  test("LowStockAlert flags low stock and sets last_alert_at", () => {
    const p = createInventoryStockProjector(":memory:");
    p.handle(book([initialized(0, 20, 10)]));
    const out = p.handle(
      book([
        reserved(1, "order-a", 15, 15, 20),
        page(2, LowStockAlertSchema, {
          productId: "SKU-001",
          available: 5,
          threshold: 10,
          alertedAt: ALERT_AT,
        }),
      ]),
    );
    expect(level(out)).toMatchObject({ available: 5, lowStockThreshold: 10, lowStock: true });
    expect(p.readStock(ROOT)).toMatchObject({
      available: 5,
      low_stock: 1,
      last_alert_at: "2024-01-02T03:04:05.000Z",
      last_sequence: 2,
    });
  });

  test("stock at or above the threshold, or a zero threshold, is not low", () => {
    const p = createInventoryStockProjector(":memory:");
    p.handle(book([initialized(0, 20, 10), reserved(1, "order-a", 10, 10, 20)]));
    expect(p.readStock(ROOT)).toMatchObject({ available: 10, low_stock: 0 });
    const q = createInventoryStockProjector(":memory:");
    q.handle(book([initialized(0, 5, 0), reserved(1, "order-a", 5, 5, 5)]));
    expect(q.readStock(ROOT)).toMatchObject({ available: 0, low_stock: 0 });
  });

  test("the same book twice, or an older page after a newer one, leaves the tables unchanged", () => {
    const p = createInventoryStockProjector(":memory:");
    const full = book([
      initialized(),
      reserved(1, "order-a", 20, 20, 100),
      reserved(2, "order-b", 5, 25, 100),
    ]);
    const first = p.handle(full);
    const before = tables(p);
    const again = p.handle(full);
    expect(tables(p)).toEqual(before);
    expect(again.projection).toEqual(first.projection);
    p.handle(book([reserved(1, "order-a", 99, 99, 100)]));
    p.handle(book([initialized(0, 7, 3)]));
    expect(tables(p)).toEqual(before);
  });

  test("a speculative run returns the real run's payload and writes nothing", () => {
    const p = createInventoryStockProjector(":memory:");
    p.handle(book([initialized()]));
    const next = book([reserved(1, "order-a", 95, 95, 100)]);
    const before = tables(p);
    const speculative = p.handle(next, true);
    expect(tables(p)).toEqual(before);
    const real = p.handle(next);
    expect(speculative).toEqual(real);
    expect(level(real)).toMatchObject({ available: 5, lowStock: true });
    // Speculating an already applied book still returns the same payload and writes nothing.
    const after = tables(p);
    expect(p.handle(next, true)).toEqual(real);
    expect(tables(p)).toEqual(after);
  });

  test("edition books go to the edition's own database, never the main one", () => {
    const p = createInventoryStockProjector(":memory:");
    const out = p.handle(book([initialized()], "what-if"));
    expect(out.projection).toBeDefined();
    expect(tables(p)).toEqual({ stock: [], reservations: [] });
    const main = p.db;
    const edition = p.database("what-if");
    expect(edition).not.toBe(main);
    expect(edition.query("SELECT count(*) AS n FROM inventory_stock").get()).toEqual({ n: 1 });
  });

  test("unknown and undecodable pages are skipped, never an error", () => {
    const p = createInventoryStockProjector(":memory:");
    const b = book([initialized()]);
    b.pages.push(
      EventPages.numbered(
        1,
        create(AnySchema, { typeUrl: "type.googleapis.com/examples.Mystery", value: new Uint8Array([1]) }),
      ),
      EventPages.numbered(
        2,
        create(AnySchema, {
          typeUrl: "type.googleapis.com/examples.StockReceived",
          value: new Uint8Array([0xff, 0xfe, 0xfd, 0x00, 0xde, 0xad]),
        }),
      ),
    );
    const out = p.handle(b);
    expect(level(out)).toMatchObject({ onHand: 100 });
    expect(p.readStock(ROOT)?.last_sequence).toBe(0);
  });

  test("serves Handle, HandleSync and HandleSpeculative", async () => {
    const p = createInventoryStockProjector(":memory:");
    const client = new MemoryClient(buildRouter(projectorComponent(p)));
    const descriptor = await unary(
      client,
      ProjectorService.method.getDescriptor,
      create(GetDescriptorRequestSchema),
    );
    expect(descriptor).toMatchObject({ name: PROGRAM, componentType: "projector" });
    expect(descriptor.inputs[0]?.domain).toBe("inventory");
    const spec = await unary(client, ProjectorCoordinator.method.handleSpeculative, book([initialized()]));
    expect(p.readStock(ROOT)).toBeUndefined();
    const real = await unary(client, ProjectorService.method.handle, book([initialized()]));
    expect(spec.projection).toEqual(real.projection);
    const sync = await unary(
      client,
      ProjectorCoordinator.method.handleSync,
      create(SyncEventBookSchema, { events: book([initialized()]) }),
    );
    expect(sync.projection).toEqual(real.projection);
    expect(p.readStock(ROOT)?.on_hand).toBe(100);
  });
});
