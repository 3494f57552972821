// saga-order-customer (example-domains §3.4, §6.8): pure calls of Execute on source books.
import { describe, expect, test } from "bun:test";
import { Identity, Uuid } from "@angzarr/proto";
import {
  AddLoyaltyPointsSchema,
  CustomerCreatedSchema,
  OrderCancelledSchema,
  OrderCompletedSchema,
  OrderCreatedSchema,
} from "@angzarr/proto/examples.ts";
import { defineSaga } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";
import { customerAggregate } from "../../customer/agg/aggregate";
import {
  commandPayload,
  DestinationStore,
  garbage,
  packable,
  sourceBook,
  target,
} from "../../shared/testing";
import { orderCustomerSaga, SAGA_NAME } from "./saga";

const ORDER_ROOT = Identity.orderRoot("ORD-001");
const ORDER_ID = "eb8052f7-3398-5b3a-99f8-7d84e926a184";
const CUSTOMER_ROOT = Identity.customerRoot("alice@example.com");
const CORRELATION = "corr-1";

const completed = (loyaltyPointsEarned: number, customerRoot = CUSTOMER_ROOT) =>
  packable(
    OrderCompletedSchema,
    create(OrderCompletedSchema, {
      finalTotalCents: loyaltyPointsEarned * 100,
      loyaltyPointsEarned,
      customerRoot,
    }),
  );
const cancelled = (loyaltyPointsUsed: number, customerRoot = CUSTOMER_ROOT) =>
  packable(
    OrderCancelledSchema,
    create(OrderCancelledSchema, { reason: "changed my mind", loyaltyPointsUsed, customerRoot }),
  );
const orderBook = (events: Parameters<typeof sourceBook>[1], root: Uint8Array | undefined = ORDER_ROOT) =>
  sourceBook({ domain: "order", root, correlationId: CORRELATION }, events);

function quietSaga() {
  const skipped: string[] = [];
  return {
    saga: defineSaga({ ...orderCustomerSaga.definition, onSkip: (_p, why) => skipped.push(why) }),
    skipped,
  };
}

describe("saga-order-customer", () => {
  test("describes itself by program name with the events it consumes", () => {
    const d = orderCustomerSaga.descriptor();
    expect([d.name, d.componentType, SAGA_NAME]).toEqual([
      "saga-order-customer",
      "saga",
      "saga-order-customer",
    ]);
    expect(d.inputs.map((i) => [i.domain, i.eventTypes])).toEqual([
      ["order", ["examples.OrderCompleted", "examples.OrderCancelled"]],
    ]);
  });

  test("completion credits the points earned to the customer root, with an 'order' reason", () => {
    const { commands } = orderCustomerSaga.execute(orderBook([completed(50)]));
    expect(commands).toHaveLength(1);
    expect(target(commands[0])).toEqual({
      domain: "customer",
      root: Uuid.toText(CUSTOMER_ROOT),
      correlationId: CORRELATION,
    });
    const credit = commandPayload(commands[0], AddLoyaltyPointsSchema);
    expect(credit.points).toBe(50);
    expect(credit.reason).toBe(`Earned from order ${ORDER_ID}`);
    expect(credit.reason).toContain("order");
    expect(credit.reference).toBe(`earn:${ORDER_ID}`);
  });

  test("completion with zero points yields nothing", () => {
    expect(orderCustomerSaga.execute(orderBook([completed(0)])).commands).toHaveLength(0);
  });

  test("cancellation with points used refunds them, with a 'Refund' reason", () => {
    const { commands } = orderCustomerSaga.execute(orderBook([cancelled(200)]));
    expect(commands).toHaveLength(1);
    expect(target(commands[0]).root).toBe(Uuid.toText(CUSTOMER_ROOT));
    const refund = commandPayload(commands[0], AddLoyaltyPointsSchema);
    expect(refund.points).toBe(200);
    expect(refund.reason).toBe(`Refund for cancelled order ${ORDER_ID}`);
    expect(refund.reason).toContain("Refund");
    expect(refund.reference).toBe(`refund:${ORDER_ID}`);
  });

  test("cancellation without points used yields nothing", () => {
    expect(orderCustomerSaga.execute(orderBook([cancelled(0)])).commands).toHaveLength(0);
  });

  test("a customer_root that is not 16 bytes yields nothing", () => {
    expect(orderCustomerSaga.execute(orderBook([completed(50, new Uint8Array())])).commands).toHaveLength(0);
    expect(
      orderCustomerSaga.execute(orderBook([cancelled(200, CUSTOMER_ROOT.slice(1))])).commands,
    ).toHaveLength(0);
  });

  test("a source whose root is not 16 bytes yields nothing", () => {
    expect(orderCustomerSaga.execute(orderBook([completed(50)], new Uint8Array(17))).commands).toHaveLength(
      0,
    );
  });

  test("other events yield nothing; undecodable pages are skipped and logged", () => {
    const { saga, skipped } = quietSaga();
    const out = saga.execute(
      orderBook([
        packable(OrderCreatedSchema, create(OrderCreatedSchema, { customerId: "CUST-001" })),
        garbage("type.googleapis.com/examples.OrderCancelled"),
      ]),
    );
    expect(out.commands).toHaveLength(0);
    expect(skipped).toHaveLength(2);
    expect(skipped[0]).toBe("not handled: examples.OrderCreated");
    expect(skipped[1]).toStartWith("failed to decode examples.OrderCancelled");
  });

  test("the correlation id is copied to every command", () => {
    const book = sourceBook({ domain: "order", root: ORDER_ROOT, correlationId: "wf-9" }, [
      completed(50),
      cancelled(10),
    ]);
    expect(orderCustomerSaga.execute(book).commands.map((c) => c.cover?.correlationId)).toEqual([
      "wf-9",
      "wf-9",
    ]);
  });

  test("a completion delivered twice credits the customer once", () => {
    const store = new DestinationStore(customerAggregate).given(
      CUSTOMER_ROOT,
      create(CustomerCreatedSchema, { name: "Alice", email: "alice@example.com" }),
    );
    const book = orderBook([completed(50)]);
    store.run(orderCustomerSaga.execute(book).commands).run(orderCustomerSaga.execute(book).commands);
    expect(store.state(CUSTOMER_ROOT).loyaltyPoints).toBe(50);
    expect(store.state(CUSTOMER_ROOT).lifetimePoints).toBe(50);
    expect(store.rejections).toEqual([`Points already credited for reference earn:${ORDER_ID}`]);
  });

  test("a cancellation delivered twice refunds once", () => {
    const store = new DestinationStore(customerAggregate).given(
      CUSTOMER_ROOT,
      create(CustomerCreatedSchema, { name: "Alice", email: "alice@example.com" }),
    );
    const book = orderBook([cancelled(200)]);
    store.run(orderCustomerSaga.execute(book).commands).run(orderCustomerSaga.execute(book).commands);
    expect(store.state(CUSTOMER_ROOT).loyaltyPoints).toBe(200);
    expect(store.rejections).toHaveLength(1);
  });
});
