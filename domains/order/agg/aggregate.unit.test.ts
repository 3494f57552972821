// What every aggregate must do (§6.1), on the order aggregate: dispatch, decode failures,
// numbering, snapshot state, revocation, descriptor.
import { describe, expect, test } from "bun:test";
import {
  CommandBookSchema,
  ContextualCommandSchema,
  Covers,
  RevokeEventCommandSchema,
  TypeUrl,
} from "@angzarr/proto";
import {
  CancelOrderSchema,
  ConfirmPaymentSchema,
  CreateOrderSchema,
  ReserveStockSchema,
  SubmitPaymentSchema,
} from "@angzarr/proto/examples.ts";
import { Code, expectExactRejection, expectRejection } from "@angzarr/sdk";
import { create, toBinary } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { orderAggregate } from "./aggregate";
import {
  CART_ROOT,
  CUSTOMER_ROOT,
  created,
  discounted,
  givenOrder,
  ORDER_ROOT,
  paid,
  TWO_LINES,
} from "./fixtures";

const CORRUPT = new Uint8Array([0xff, 0xfe, 0xfd, 0x00, 0xde, 0xad]);

describe("order aggregate: dispatch", () => {
  test("an unknown command type fails INVALID_ARGUMENT naming the type URL", () => {
    const foreign = create(AnySchema, {
      typeUrl: "type.googleapis.com/examples.ReserveStock",
      value: toBinary(ReserveStockSchema, create(ReserveStockSchema, { quantity: 1, orderId: "x" })),
    });
    const outcome = givenOrder(created()).when(foreign);
    expectExactRejection(
      outcome,
      Code.InvalidArgument,
      "Unknown command type: type.googleapis.com/examples.ReserveStock",
    );
  });

  test("a suffix of a known name is not a match", () => {
    const outcome = givenOrder(created()).when(
      create(AnySchema, { typeUrl: "type.googleapis.com/SubmitPayment" }),
    );
    expectRejection(outcome, Code.InvalidArgument, "Unknown command type");
  });

  test("any type URL prefix routes by the full name after the last slash", () => {
    const any = create(AnySchema, {
      typeUrl: "type.examples/examples.SubmitPayment",
      value: toBinary(
        SubmitPaymentSchema,
        create(SubmitPaymentSchema, { paymentMethod: "card", amountCents: 5000 }),
      ),
    });
    const outcome = givenOrder(created()).when(any);
    expect(outcome.error).toBeUndefined();
    expect(outcome.state.status).toBe("payment_submitted");
  });

  test("undecodable command bytes fail INVALID_ARGUMENT 'failed to decode examples.SubmitPayment: …'", () => {
    const given = givenOrder(created());
    const outcome = given.when(
      create(AnySchema, { typeUrl: TypeUrl.forName("examples.SubmitPayment"), value: CORRUPT }),
    );
    expectRejection(outcome, Code.InvalidArgument, "failed to decode examples.SubmitPayment: ");
    expect(outcome.error?.rawMessage.startsWith("failed to decode")).toBe(true);
    expect(outcome.events).toEqual([]);
    expect(outcome.state).toEqual(given.state());
  });

  test("a command book with no pages fails INVALID_ARGUMENT", () => {
    const request = create(ContextualCommandSchema, {
      command: create(CommandBookSchema, { cover: Covers.make({ domain: "order", root: ORDER_ROOT }) }),
    });
    expect(() => orderAggregate.handle(request)).toThrow("CommandBook has no pages");
  });

  test("the descriptor names the domain, type aggregate, and lists the commands as its input", () => {
    const descriptor = orderAggregate.descriptor();
    expect(descriptor.name).toBe("order");
    expect(descriptor.componentType).toBe("aggregate");
    expect(descriptor.inputs).toHaveLength(1);
    expect(descriptor.inputs[0]?.domain).toBe("order");
    expect(descriptor.inputs[0]?.eventTypes.toSorted()).toEqual([
      "examples.ApplyLoyaltyDiscount",
      "examples.CancelOrder",
      "examples.ConfirmPayment",
      "examples.CreateOrder",
      "examples.SubmitPayment",
    ]);
  });
});

describe("order aggregate: sequences and snapshots", () => {
  test("a new event is numbered from the next sequence (last page + 1)", () => {
    const outcome = givenOrder(created(), discounted(100, 100), paid(4900)).when(
      create(ConfirmPaymentSchema, { paymentReference: "R" }),
    );
    expect(outcome.sequences).toEqual([3]);
  });

  test("after a snapshot with no later pages, numbering continues at snapshot + 1", () => {
    const state = givenOrder(created(), paid()).state();
    const outcome = givenOrder()
      .givenSnapshot(7, state)
      .when(create(ConfirmPaymentSchema, { paymentReference: "R" }));
    expect(outcome.sequences).toEqual([8]);
    expect(outcome.state.status).toBe("completed");
  });

  test("each step's snapshot state equals a full replay, and snapshot + later events equals a full replay", () => {
    const createOrder = create(CreateOrderSchema, {
      customerId: "CUST-001",
      items: TWO_LINES,
      customerRoot: CUSTOMER_ROOT,
      cartRoot: CART_ROOT,
    });
    const step1 = givenOrder();
    const o1 = step1.when(createOrder);
    const later = [discounted(500, 500), paid(4000)];
    step1.expectSnapshotConsistent(o1, later);

    const step2 = givenOrder(...o1.events, ...later);
    const o2 = step2.when(create(CancelOrderSchema, { reason: "changed" }));
    step2.expectSnapshotConsistent(o2);
    expect(o2.state).toMatchObject({ status: "cancelled", discountCents: 500, subtotalCents: 4500 });
  });
});

describe("order aggregate: revocation", () => {
  test("a revocation gets a system revocation with '{saga} rejected: {reason}', no events, no state change", () => {
    const given = givenOrder(created(), paid());
    const outcome = given.when(
      create(RevokeEventCommandSchema, {
        triggeringEventSequence: 0,
        sagaName: "saga-order-inventory",
        rejectionReason: "Inventory not initialized",
      }),
    );
    expect(outcome.error).toBeUndefined();
    expect(outcome.revocation).toEqual({
      emitSystemRevocation: true,
      reason: "saga-order-inventory rejected: Inventory not initialized",
    });
    expect(outcome.events).toEqual([]);
    expect(outcome.state).toEqual(given.state());
  });
});
