// saga-order-inventory (example-domains §3.1, §6.8): pure calls of Execute on source books.
import { describe, expect, test } from "bun:test";
import { AnyPayload, Identity, Uuid } from "@angzarr/proto";
import {
  LineItemSchema,
  OrderCancelledSchema,
  OrderCompletedSchema,
  OrderCreatedSchema,
  PaymentSubmittedSchema,
  ReleaseReservationSchema,
  ReserveStockSchema,
  StockInitializedSchema,
} from "@angzarr/proto/examples.ts";
import { defineSaga } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";
import { inventoryAggregate } from "../../inventory/agg/aggregate";
import {
  commandPayload,
  DestinationStore,
  garbage,
  type Packable,
  packable,
  sourceBook,
  target,
} from "../../shared/testing";
import { orderInventorySaga, SAGA_NAME } from "./saga";

const ORDER_ROOT = Identity.orderRoot("ORD-001");
const ORDER_ID = "eb8052f7-3398-5b3a-99f8-7d84e926a184";
const SKU_001_ROOT = "934c8417-4c8b-581b-971d-000ebe80f1e3";
const CORRELATION = "corr-1";

const line = (productId: string, quantity: number) =>
  create(LineItemSchema, { productId, name: productId, quantity, unitPriceCents: 1000 });
/** SKU-001 appears twice (2 + 3), SKU-002 once: two distinct products, SKU-001 first. */
const LINES = [line("SKU-001", 2), line("SKU-002", 1), line("SKU-001", 3)];
const orderCreated = packable(
  OrderCreatedSchema,
  create(OrderCreatedSchema, { customerId: "CUST-001", items: LINES }),
);
const orderCancelled = packable(
  OrderCancelledSchema,
  create(OrderCancelledSchema, { reason: "changed my mind", items: LINES }),
);

const orderBook = (
  events: Packable[],
  root: Uint8Array | undefined = ORDER_ROOT,
  correlationId = CORRELATION,
) => sourceBook({ domain: "order", root, correlationId }, events);

/** The saga with skipped pages collected instead of logged. */
function quietSaga() {
  const skipped: string[] = [];
  return {
    saga: defineSaga({ ...orderInventorySaga.definition, onSkip: (_p, why) => skipped.push(why) }),
    skipped,
  };
}

describe("saga-order-inventory", () => {
  test("describes itself by program name with the events it consumes", () => {
    const d = orderInventorySaga.descriptor();
    expect(d.name).toBe(SAGA_NAME);
    expect(SAGA_NAME).toBe("saga-order-inventory");
    expect(d.componentType).toBe("saga");
    expect(d.inputs.map((i) => [i.domain, i.eventTypes])).toEqual([
      ["order", ["examples.OrderCreated", "examples.OrderCancelled"]],
    ]);
  });

  test("creation reserves each distinct product once, quantities summed, in first-appearance order", () => {
    const { commands, events } = orderInventorySaga.execute(orderBook([orderCreated]));
    expect(events).toHaveLength(0);
    expect(commands).toHaveLength(2);
    expect(commands.map(target)).toEqual([
      { domain: "inventory", root: SKU_001_ROOT, correlationId: CORRELATION },
      {
        domain: "inventory",
        root: Uuid.toText(Identity.inventoryRoot("SKU-002")),
        correlationId: CORRELATION,
      },
    ]);
    const reservations = commands.map((c) => commandPayload(c, ReserveStockSchema));
    expect(reservations.map((r) => [r.quantity, r.orderId])).toEqual([
      [5, ORDER_ID],
      [1, ORDER_ID],
    ]);
  });

  test("cancellation releases each distinct product of its items", () => {
    const { commands } = orderInventorySaga.execute(orderBook([orderCancelled]));
    expect(commands.map((c) => target(c).root)).toEqual([
      SKU_001_ROOT,
      Uuid.toText(Identity.inventoryRoot("SKU-002")),
    ]);
    expect(commands.map((c) => commandPayload(c, ReleaseReservationSchema).orderId)).toEqual([
      ORDER_ID,
      ORDER_ID,
    ]);
    expect(commands.every((c) => target(c).correlationId === CORRELATION)).toBe(true);
  });

  test("other order events yield nothing, and are skipped with a log entry", () => {
    const { saga, skipped } = quietSaga();
    const out = saga.execute(
      orderBook([
        packable(
          PaymentSubmittedSchema,
          create(PaymentSubmittedSchema, { paymentMethod: "card", amountCents: 5000 }),
        ),
        packable(OrderCompletedSchema, create(OrderCompletedSchema, { finalTotalCents: 5000, items: LINES })),
      ]),
    );
    expect(out.commands).toHaveLength(0);
    expect(skipped).toEqual([
      "not handled: examples.PaymentSubmitted",
      "not handled: examples.OrderCompleted",
    ]);
  });

  test("pages are handled in order: creation then cancellation in one book", () => {
    const { commands } = orderInventorySaga.execute(orderBook([orderCreated, orderCancelled]));
    expect(commands.map((c) => c.pages[0]?.command?.typeUrl)).toEqual([
      "type.googleapis.com/examples.ReserveStock",
      "type.googleapis.com/examples.ReserveStock",
      "type.googleapis.com/examples.ReleaseReservation",
      "type.googleapis.com/examples.ReleaseReservation",
    ]);
  });

  test("a source whose root is not 16 bytes yields nothing", () => {
    expect(
      orderInventorySaga.execute(orderBook([orderCreated], ORDER_ROOT.slice(0, 15))).commands,
    ).toHaveLength(0);
    const noRoot = sourceBook({ domain: "order", root: undefined, correlationId: CORRELATION }, [
      orderCreated,
    ]);
    expect(orderInventorySaga.execute(noRoot).commands).toHaveLength(0);
  });

  test("an undecodable page is skipped and logged; later pages still count", () => {
    const { saga, skipped } = quietSaga();
    const book = sourceBook({ domain: "order", root: ORDER_ROOT, correlationId: CORRELATION }, [
      garbage("type.googleapis.com/examples.OrderCreated"),
      orderCancelled,
    ]);
    const { commands } = saga.execute(book);
    expect(commands).toHaveLength(2);
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toStartWith("failed to decode examples.OrderCreated");
  });

  test("routing uses the whole full name after the last '/', whatever the prefix", () => {
    const { saga, skipped } = quietSaga();
    const bytes = AnyPayload.pack(OrderCreatedSchema, orderCreated.message as never).value;
    const otherPrefix = { ...AnyPayload.pack(OrderCreatedSchema, orderCreated.message as never) };
    otherPrefix.typeUrl = "type.examples/examples.OrderCreated";
    const suffixOnly = {
      ...otherPrefix,
      typeUrl: "type.googleapis.com/acme.examples.OrderCreated",
      value: bytes,
    };
    const { commands } = saga.execute(
      sourceBook({ domain: "order", root: ORDER_ROOT, correlationId: CORRELATION }, [
        otherPrefix,
        suffixOnly,
      ]),
    );
    expect(commands).toHaveLength(2);
    expect(skipped).toEqual(["not handled: acme.examples.OrderCreated"]);
  });

  test("the correlation id is copied to every command, whatever it is", () => {
    const { commands } = orderInventorySaga.execute(
      orderBook([orderCreated, orderCancelled], ORDER_ROOT, "wf-42"),
    );
    expect(commands.map((c) => c.cover?.correlationId)).toEqual(["wf-42", "wf-42", "wf-42", "wf-42"]);
  });

  test("a creation delivered twice reserves stock only once", () => {
    const store = new DestinationStore(inventoryAggregate)
      .given(
        Identity.inventoryRoot("SKU-001"),
        create(StockInitializedSchema, { productId: "SKU-001", quantity: 100 }),
      )
      .given(
        Identity.inventoryRoot("SKU-002"),
        create(StockInitializedSchema, { productId: "SKU-002", quantity: 100 }),
      );
    const book = orderBook([orderCreated]);
    store.run(orderInventorySaga.execute(book).commands).run(orderInventorySaga.execute(book).commands);
    expect(store.state(Identity.inventoryRoot("SKU-001")).reservations).toEqual({ [ORDER_ID]: 5 });
    expect(store.state(Identity.inventoryRoot("SKU-002")).reservations).toEqual({ [ORDER_ID]: 1 });
    expect(store.count(Identity.inventoryRoot("SKU-001"))).toBe(2);
    expect(store.rejections).toEqual([
      "Reservation already exists for this order",
      "Reservation already exists for this order",
    ]);
  });
});
