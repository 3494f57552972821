import { describe, expect, test } from "bun:test";
import { CreateOrderSchema, type LineItem } from "@angzarr/proto/examples.ts";
import { Code, expectExactRejection } from "@angzarr/sdk";
import { create, type Message } from "@bufbuild/protobuf";
import { CART_ROOT, CUSTOMER_ROOT, created, givenOrder, line, TWO_LINES } from "../fixtures";

const createOrder = (
  overrides: {
    customerId?: string;
    items?: LineItem[];
    customerRoot?: Uint8Array;
    cartRoot?: Uint8Array;
  } = {},
) =>
  create(CreateOrderSchema, {
    customerId: "CUST-001",
    items: TWO_LINES,
    customerRoot: CUSTOMER_ROOT,
    cartRoot: CART_ROOT,
    ...overrides,
  });

describe("CreateOrder rules (in check order)", () => {
  const rows: { condition: string; given: Message[]; command: Message; code: Code; message: string }[] = [
    {
      condition: "order exists",
      given: [created()],
      command: createOrder(),
      code: Code.FailedPrecondition,
      message: "Order already exists",
    },
    {
      condition: "customer_id empty",
      given: [],
      command: createOrder({ customerId: "" }),
      code: Code.InvalidArgument,
      message: "Customer ID is required",
    },
    {
      condition: "items empty",
      given: [],
      command: createOrder({ items: [] }),
      code: Code.InvalidArgument,
      message: "Order must have items",
    },
    {
      condition: "an item without product_id",
      given: [],
      command: createOrder({ items: [line("SKU-001", 1, 100), line("", 1, 100)] }),
      code: Code.InvalidArgument,
      message: "Item product ID is required",
    },
    {
      condition: "an item with quantity 0",
      given: [],
      command: createOrder({ items: [line("SKU-001", 0, 100)] }),
      code: Code.InvalidArgument,
      message: "Item quantity must be positive",
    },
    {
      condition: "an item with negative quantity",
      given: [],
      command: createOrder({ items: [line("SKU-001", -2, 100)] }),
      code: Code.InvalidArgument,
      message: "Item quantity must be positive",
    },
    {
      condition: "an item with negative price",
      given: [],
      command: createOrder({ items: [line("SKU-001", 1, -1)] }),
      code: Code.InvalidArgument,
      message: "Item price cannot be negative",
    },
    {
      condition: "customer_root of 3 bytes",
      given: [],
      command: createOrder({ customerRoot: new Uint8Array(3) }),
      code: Code.InvalidArgument,
      message: "Customer root must be a 16-byte UUID",
    },
    {
      condition: "cart_root of 17 bytes",
      given: [],
      command: createOrder({ cartRoot: new Uint8Array(17) }),
      code: Code.InvalidArgument,
      message: "Cart root must be a 16-byte UUID",
    },
    // The first failing rule wins.
    {
      condition: "exists and no customer",
      given: [created()],
      command: createOrder({ customerId: "" }),
      code: Code.FailedPrecondition,
      message: "Order already exists",
    },
    {
      condition: "no customer and no items",
      given: [],
      command: createOrder({ customerId: "", items: [] }),
      code: Code.InvalidArgument,
      message: "Customer ID is required",
    },
    {
      condition: "quantity 0 on one line, empty product on a later line",
      given: [],
      command: createOrder({ items: [line("SKU-001", 0, 100), line("", 1, 100)] }),
      code: Code.InvalidArgument,
      message: "Item product ID is required",
    },
    {
      condition: "negative price and bad roots",
      given: [],
      command: createOrder({ items: [line("SKU-001", 1, -1)], customerRoot: new Uint8Array(3) }),
      code: Code.InvalidArgument,
      message: "Item price cannot be negative",
    },
  ];
  for (const row of rows) {
    test(`${row.condition} → ${Code[row.code]} "${row.message}"`, () => {
      const when = givenOrder(...row.given);
      const outcome = when.when(row.command);
      expectExactRejection(outcome, row.code, row.message);
      expect(outcome.events).toEqual([]);
      expect(outcome.state).toEqual(when.state());
    });
  }
});

describe("CreateOrder", () => {
  test("records customer, items, roots and subtotal 2 × 1000 + 1 × 2500 = 4500, status pending", () => {
    const given = givenOrder();
    const outcome = given.when(createOrder());
    expect(outcome.error).toBeUndefined();
    expect(outcome.sequences).toEqual([0]);
    expect(outcome.events).toHaveLength(1);
    expect(outcome.events[0]).toMatchObject({
      $typeName: "examples.OrderCreated",
      customerId: "CUST-001",
      items: TWO_LINES,
      subtotalCents: 4500,
      customerRoot: CUSTOMER_ROOT,
      cartRoot: CART_ROOT,
    });
    expect(outcome.state).toMatchObject({
      customerId: "CUST-001",
      subtotalCents: 4500,
      discountCents: 0,
      loyaltyPointsUsed: 0,
      status: "pending",
      customerRoot: CUSTOMER_ROOT,
      cartRoot: CART_ROOT,
    });
    expect(outcome.state.items).toHaveLength(2);
    given.expectSnapshotConsistent(outcome);
  });

  test("accepts empty customer and cart roots and a free item (price 0)", () => {
    const outcome = givenOrder().when(
      createOrder({
        items: [line("SKU-FREE", 3, 0)],
        customerRoot: new Uint8Array(),
        cartRoot: new Uint8Array(),
      }),
    );
    expect(outcome.error).toBeUndefined();
    expect(outcome.events[0]).toMatchObject({
      subtotalCents: 0,
      customerRoot: new Uint8Array(),
      cartRoot: new Uint8Array(),
    });
  });

  test("the subtotal sums every line, including repeated products", () => {
    const outcome = givenOrder().when(
      createOrder({ items: [line("SKU-001", 3, 1000), line("SKU-001", 1, 1000), line("SKU-002", 2, 250)] }),
    );
    expect(outcome.events[0]).toMatchObject({ subtotalCents: 4500 });
  });
});
