// The six business areas through the gateway: a first request, one rule each, garbage.

import { Identity } from "@angzarr/proto";
import {
  AddLoyaltyPointsSchema,
  CreateCartSchema,
  CreateCustomerSchema,
  CreateOrderSchema,
  CreateProductSchema,
  CreateShipmentSchema,
  InitializeStockSchema,
  LineItemSchema,
  MarkPackedSchema,
  ReserveStockSchema,
  SetPriceSchema,
  SubmitPaymentSchema,
} from "@angzarr/proto/examples.ts";
import { create, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { Then, When } from "@cucumber/cucumber";
import { type AcceptanceWorld, describeError, expect } from "./world";

interface Request {
  schema: DescMessage;
  message: MessageShape<DescMessage>;
}

const request = <D extends DescMessage>(schema: D, message: MessageShape<D>): Request => ({
  schema,
  message,
});

interface Area {
  domain: string;
  root(world: AcceptanceWorld): Uint8Array;
  first(world: AcceptanceWorld): Request;
  violation(world: AcceptanceWorld): Request;
}

const AREAS: Record<string, Area> = {
  cart: {
    domain: "cart",
    root: (w) => Identity.cartRoot(`CUST-${w.token}`),
    first: (w) => request(CreateCartSchema, create(CreateCartSchema, { customerId: `CUST-${w.token}` })),
    violation: (w) => request(CreateCartSchema, create(CreateCartSchema, { customerId: `CUST-${w.token}` })),
  },
  customer: {
    domain: "customer",
    root: (w) => w.customer("area@example.com").root,
    first: (w) =>
      request(
        CreateCustomerSchema,
        create(CreateCustomerSchema, { name: "Area", email: w.customer("area@example.com").email }),
      ),
    violation: () =>
      request(AddLoyaltyPointsSchema, create(AddLoyaltyPointsSchema, { points: 0, reason: "nothing" })),
  },
  product: {
    domain: "product",
    root: (w) => Identity.productRoot(`AREA-${w.token}`),
    first: (w) =>
      request(
        CreateProductSchema,
        create(CreateProductSchema, { sku: `AREA-${w.token}`, name: "Lamp", priceCents: 1500 }),
      ),
    violation: () => request(SetPriceSchema, create(SetPriceSchema, { priceCents: 0 })),
  },
  order: {
    domain: "order",
    root: (w) => w.order("area order").root,
    first: () =>
      request(
        CreateOrderSchema,
        create(CreateOrderSchema, {
          customerId: "walk-in",
          items: [
            create(LineItemSchema, {
              productId: "NO-STOCK-NEEDED",
              name: "Mug",
              quantity: 2,
              unitPriceCents: 1000,
            }),
          ],
        }),
      ),
    violation: () =>
      request(SubmitPaymentSchema, create(SubmitPaymentSchema, { paymentMethod: "card", amountCents: 1 })),
  },
  inventory: {
    domain: "inventory",
    root: (w) => w.product("AREA").root,
    first: (w) =>
      request(
        InitializeStockSchema,
        create(InitializeStockSchema, { productId: w.product("AREA").sku, quantity: 10 }),
      ),
    violation: (w) =>
      request(ReserveStockSchema, create(ReserveStockSchema, { quantity: 11, orderId: `order-${w.token}` })),
  },
  fulfillment: {
    domain: "fulfillment",
    root: (w) => w.order("area shipment").root,
    first: (w) =>
      request(
        CreateShipmentSchema,
        create(CreateShipmentSchema, {
          orderId: w.order("area shipment").id,
          items: [create(LineItemSchema, { productId: "P", name: "Mug", quantity: 1, unitPriceCents: 1000 })],
        }),
      ),
    violation: () => request(MarkPackedSchema, create(MarkPackedSchema, { packerId: "packer" })),
  },
};

function area(name: string): Area {
  const found = AREAS[name];
  if (!found) throw new Error(`unknown business area ${name}`);
  return found;
}

async function sendRequest(
  world: AcceptanceWorld,
  name: string,
  pick: (a: Area, w: AcceptanceWorld) => Request,
) {
  const a = area(name);
  const r = pick(a, world);
  await world.attempt(() => world.send(a.domain, a.root(world), r.schema, r.message));
}

When("the first request of the {word} area is sent", async function (this: AcceptanceWorld, name: string) {
  await sendRequest(this, name, (a, w) => a.first(w));
});

When(
  /^the (\w+) area is asked to (.+)$/,
  async function (this: AcceptanceWorld, name: string, _what: string) {
    await sendRequest(this, name, (a, w) => a.violation(w));
  },
);

When("a garbled request reaches the {word} area", async function (this: AcceptanceWorld, name: string) {
  const a = area(name);
  const payload = create(AnySchema, {
    typeUrl: `type.googleapis.com/${a.violation(this).schema.typeName}`,
    value: new Uint8Array([0xff, 0xfe, 0xfd, 0x00, 0xde, 0xad]),
  });
  await this.attempt(() => this.sendPayload(a.domain, a.root(this), payload));
});

const KINDS: Record<string, Code> = {
  invalid: Code.InvalidArgument,
  "refused by the current state": Code.FailedPrecondition,
  "not found": Code.NotFound,
  "already existing": Code.AlreadyExists,
};

Then(
  /^the request is refused as (invalid|refused by the current state|not found|already existing) with the message "(.*)"$/,
  function (this: AcceptanceWorld, kind: string, message: string) {
    const err = this.lastError();
    expect(err.code === KINDS[kind], `expected a refusal as ${kind}, got ${describeError(err)}`);
    expect(
      err.rawMessage === message,
      `expected the message ${JSON.stringify(message)}, got ${JSON.stringify(err.rawMessage)}`,
    );
  },
);
