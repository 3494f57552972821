// Business actions and readings shared by several step files. Every action goes through the
// gateway; every reading comes from the event store or a projector's read model.
import { type CommandResponse, EventPages, Identity, type SyncMode } from "@angzarr/proto";
import {
  AddLoyaltyPointsSchema,
  ConfirmPaymentSchema,
  CreateCustomerSchema,
  CreateOrderSchema,
  InitializeStockSchema,
  LineItemSchema,
  LoyaltyDiscountAppliedSchema,
  LoyaltyPointsAddedSchema,
  LoyaltyPointsRedeemedSchema,
  OrderCreatedSchema,
  ShipmentCreatedSchema,
  SubmitPaymentSchema,
} from "@angzarr/proto/examples.ts";
import { create } from "@bufbuild/protobuf";
import { readStock, type StockRow } from "../../../domains/prj-inventory-stock/projector";
import {
  type AcceptanceWorld,
  type CustomerRef,
  eventsOf,
  expect,
  type OrderRef,
  type ProductRef,
  type SendOptions,
} from "./world";

export const PM_DOMAIN = "order-fulfillment";

export async function stockProduct(
  world: AcceptanceWorld,
  product: ProductRef,
  units: number,
  threshold = 0,
): Promise<void> {
  await world.send(
    "inventory",
    product.root,
    InitializeStockSchema,
    create(InitializeStockSchema, { productId: product.sku, quantity: units, lowStockThreshold: threshold }),
    { sequence: 0 },
  );
}

export async function registerCustomer(world: AcceptanceWorld, customer: CustomerRef, name: string) {
  await world.send(
    "customer",
    customer.root,
    CreateCustomerSchema,
    create(CreateCustomerSchema, { name, email: customer.email }),
    { sequence: 0 },
  );
}

export async function creditPoints(
  world: AcceptanceWorld,
  customer: CustomerRef,
  points: number,
  reason: string,
) {
  await world.send(
    "customer",
    customer.root,
    AddLoyaltyPointsSchema,
    create(AddLoyaltyPointsSchema, { points, reason }),
  );
}

/** The customer's balance according to their own history (0 for a new customer). */
export async function loyaltyBalance(world: AcceptanceWorld, customer: CustomerRef): Promise<number> {
  const book = await world.backend.history("customer", customer.root);
  let balance = 0;
  let last = -1;
  for (const e of eventsOf(book, LoyaltyPointsAddedSchema)) {
    if (e.sequence > last) [balance, last] = [e.event.newBalance, e.sequence];
  }
  for (const e of eventsOf(book, LoyaltyPointsRedeemedSchema)) {
    if (e.sequence > last) [balance, last] = [e.event.newBalance, e.sequence];
  }
  return balance;
}

export interface OrderPlacement {
  customer: CustomerRef | undefined;
  quantity: number;
  product: ProductRef;
  unitPriceCents: number;
  syncMode?: SyncMode;
  /** Place it in an edition instead of the real business. */
  edition?: string;
}

/** Sends the order's command with the order's workflow id and remembers what was recorded. */
export async function sendToOrder(
  order: OrderRef,
  run: (options: SendOptions) => Promise<CommandResponse>,
  options: SendOptions = {},
): Promise<CommandResponse> {
  const response = await run({ workflow: order.workflow, ...options });
  noteRecorded(order, response);
  return response;
}

/** Advances the order's count of events the client was told about. */
export function noteRecorded(order: OrderRef, response: CommandResponse): void {
  const last = response.events?.pages.at(-1);
  const num = last ? EventPages.sequence(last) : undefined;
  if (num !== undefined) order.recorded = Math.max(order.recorded, num + 1);
}

export function placeOrder(
  world: AcceptanceWorld,
  order: OrderRef,
  placement: OrderPlacement,
  workflow?: string,
): Promise<CommandResponse> {
  order.customer = placement.customer;
  order.products = [placement.product];
  const command = create(CreateOrderSchema, {
    customerId: placement.customer?.email ?? `walk-in-${world.token}`,
    items: [
      create(LineItemSchema, {
        productId: placement.product.sku,
        name: `${placement.product.sku} item`,
        quantity: placement.quantity,
        unitPriceCents: placement.unitPriceCents,
        productRoot: Identity.productRoot(placement.product.sku),
      }),
    ],
    ...(placement.customer ? { customerRoot: placement.customer.root } : {}),
  });
  return sendToOrder(order, (options) =>
    world.send("order", order.root, CreateOrderSchema, command, {
      ...options,
      sequence: 0,
      ...(workflow === undefined ? {} : { workflow }),
      ...(placement.syncMode === undefined ? {} : { syncMode: placement.syncMode }),
      ...(placement.edition === undefined ? {} : { edition: placement.edition }),
    }),
  );
}

/** What the order currently asks to be paid: its subtotal less any loyalty discount. */
export async function orderTotal(world: AcceptanceWorld, order: OrderRef): Promise<number> {
  const book = await world.backend.history("order", order.root);
  const created = eventsOf(book, OrderCreatedSchema)[0];
  expect(created !== undefined, `order ${order.number} has not been created`);
  const discount = eventsOf(book, LoyaltyDiscountAppliedSchema).reduce(
    (n, e) => n + e.event.discountCents,
    0,
  );
  return created.event.subtotalCents - discount;
}

export async function payInFull(
  world: AcceptanceWorld,
  order: OrderRef,
  method: string,
  extra: SendOptions = {},
): Promise<CommandResponse> {
  const amountCents = await orderTotal(world, order);
  return sendToOrder(
    order,
    (options) =>
      world.send(
        "order",
        order.root,
        SubmitPaymentSchema,
        create(SubmitPaymentSchema, { paymentMethod: method, amountCents }),
        options,
      ),
    extra,
  );
}

export function confirmPayment(
  world: AcceptanceWorld,
  order: OrderRef,
  reference: string,
  extra: SendOptions = {},
): Promise<CommandResponse> {
  return sendToOrder(
    order,
    (options) =>
      world.send(
        "order",
        order.root,
        ConfirmPaymentSchema,
        create(ConfirmPaymentSchema, { paymentReference: reference }),
        options,
      ),
    extra,
  );
}

/** The inventory-stock report row of a product; throws while it is missing. */
export function stockReport(world: AcceptanceWorld, product: ProductRef): StockRow {
  const row = world.backend.readModel("projector-inventory-stock", (db) => readStock(db, product.root));
  expect(row !== undefined, `the stock report has no row for ${product.sku} yet`);
  return row;
}

/** The shipment-opened events of the order's shipment. */
export async function shipmentsOpened(world: AcceptanceWorld, order: OrderRef) {
  const book = await world.backend.history("fulfillment", order.root);
  return eventsOf(book, ShipmentCreatedSchema);
}

/** The PM's root for a workflow. */
export const processRoot = (workflow: string): Uint8Array => Identity.processManagerRoot(workflow);

/**
 * Waits until the system has gone quiet for this order's workflow: every consumer caught up
 * (in-process runtime) and the workflow's event count unchanged for a while (any runtime).
 */
export async function quiet(world: AcceptanceWorld, order: OrderRef): Promise<void> {
  await world.backend.embedded?.settle();
  const count = async () =>
    (await world.backend.byCorrelation(order.workflow)).reduce((n, b) => n + b.pages.length, 0);
  let last = await count();
  let stableSince = performance.now();
  const deadline = performance.now() + 5_000;
  while (performance.now() - stableSince < 300) {
    if (performance.now() > deadline) throw new Error(`workflow of order ${order.number} never went quiet`);
    await Bun.sleep(25);
    const now = await count();
    if (now !== last) [last, stableSince] = [now, performance.now()];
  }
}
