// The follow-up work of an order happening exactly once: prerequisites in any order, repeated
// news, workflows side by side, work with nothing to do, competing writers, crashed programs.
import { AnyPayload, SyncMode, Timestamps, Uuid } from "@angzarr/proto";
import {
  CancelOrderSchema,
  CreateShipmentSchema,
  DispatchIssuedSchema,
  ItemsPackedSchema,
  MarkPackedSchema,
  MarkPickedSchema,
  OrderCreatedSchema,
  OrderTrackedSchema,
  PaymentSubmittedSchema,
  PrerequisiteCompletedSchema,
  ReservationCommittedSchema,
  ReservationReleasedSchema,
  ShippedSchema,
  StockInitializedSchema,
  StockReceivedSchema,
  StockReservedSchema,
} from "@angzarr/proto/examples.ts";
import { create } from "@bufbuild/protobuf";
import { Given, Then, When } from "@cucumber/cucumber";
import type { ProgramControls } from "./backend";
import {
  confirmPayment,
  PM_DOMAIN,
  payInFull,
  placeOrder,
  processRoot,
  quiet,
  sendToOrder,
  shipmentsOpened,
} from "./domain";
import {
  type AcceptanceWorld,
  eventsOf,
  eventually,
  expect,
  expectEqual,
  type OrderRef,
  type ProductRef,
} from "./world";

/** The runtime's program names behind the words the features use. */
const PROGRAMS: Record<string, string> = {
  "the program that holds stock": "saga-order-inventory",
  "the order-fulfillment program": "pmg-order-fulfillment",
};

function program(words: string): string {
  const name = PROGRAMS[words];
  if (!name) throw new Error(`unknown program: ${words}`);
  return name;
}

function programs(world: AcceptanceWorld): ProgramControls {
  const controls = world.backend.programs;
  if (!controls)
    throw new Error("the runtime's programs cannot be reached (gateway mode needs ANGZARR_DATA)");
  return controls;
}

function embedded(world: AcceptanceWorld) {
  const controls = world.backend.embedded;
  if (!controls)
    throw new Error("this step needs the runtime in this process (ANGZARR_TEST_MODE=standalone)");
  return controls;
}

/** What this scenario killed, by program, and what it arranged with another writer. */
const killed = new WeakMap<AcceptanceWorld, Map<string, number>>();
const clashes = new WeakMap<AcceptanceWorld, { fired(): number }>();

function kill(world: AcceptanceWorld, name: string): void {
  const map = killed.get(world) ?? new Map<string, number>();
  map.set(name, programs(world).kill(name));
  killed.set(world, map);
}

/** Orders of a series ("STREAM-1", "STREAM-2", …). */
function series(world: AcceptanceWorld, prefix: string, count: number): OrderRef[] {
  return Array.from({ length: count }, (_, i) => world.order(`${prefix}-${i + 1}`));
}

const seriesSize = new WeakMap<AcceptanceWorld, Map<string, number>>();
function remember(world: AcceptanceWorld, prefix: string, count: number): OrderRef[] {
  const sizes = seriesSize.get(world) ?? new Map<string, number>();
  sizes.set(prefix, count);
  seriesSize.set(world, sizes);
  return series(world, prefix, count);
}
function recall(world: AcceptanceWorld, prefix: string): OrderRef[] {
  const count = seriesSize.get(world)?.get(prefix);
  if (count === undefined) throw new Error(`no orders "${prefix}" in this scenario`);
  return series(world, prefix, count);
}

async function walkIn(world: AcceptanceWorld, order: OrderRef, product: ProductRef, quantity: number) {
  await placeOrder(world, order, { customer: undefined, quantity, product, unitPriceCents: 100 });
}

/** Sends one command to the order's shipment, in the order's workflow. */
function toShipment(world: AcceptanceWorld, order: OrderRef, pick: boolean, who: string) {
  return pick
    ? world.send("fulfillment", order.root, MarkPickedSchema, create(MarkPickedSchema, { pickerId: who }), {
        workflow: order.workflow,
      })
    : world.send("fulfillment", order.root, MarkPackedSchema, create(MarkPackedSchema, { packerId: who }), {
        workflow: order.workflow,
      });
}

/** Stock on hand after the newest event of a product's history that says. */
async function onHand(world: AcceptanceWorld, product: ProductRef): Promise<number> {
  const book = await world.backend.history("inventory", product.root);
  const facts = [
    ...eventsOf(book, StockInitializedSchema).map((e) => [e.sequence, e.event.quantity] as const),
    ...eventsOf(book, StockReceivedSchema).map((e) => [e.sequence, e.event.newOnHand] as const),
    ...eventsOf(book, StockReservedSchema).map((e) => [e.sequence, e.event.newOnHand] as const),
    ...eventsOf(book, ReservationReleasedSchema).map((e) => [e.sequence, e.event.newOnHand] as const),
    ...eventsOf(book, ReservationCommittedSchema).map((e) => [e.sequence, e.event.newOnHand] as const),
  ].sort((a, b) => a[0] - b[0]);
  return facts.at(-1)?.[1] ?? 0;
}

/** A delivery recorded beside the runtime (not through it). */
function delivery(quantity: number, newOnHand: number) {
  return AnyPayload.pack(
    StockReceivedSchema,
    create(StockReceivedSchema, {
      quantity,
      newOnHand,
      reference: "other writer",
      receivedAt: Timestamps.now(),
    }),
  );
}

// Prerequisites in any order.

When(
  "the warehouse opens the shipment of order {string} by hand",
  async function (this: AcceptanceWorld, label: string) {
    const order = this.order(label);
    const created = eventsOf(await this.backend.history("order", order.root), OrderCreatedSchema)[0];
    expect(created !== undefined, `order ${label} does not exist`);
    await this.send(
      "fulfillment",
      order.root,
      CreateShipmentSchema,
      create(CreateShipmentSchema, { orderId: order.id, items: created.event.items }),
      { workflow: order.workflow },
    );
  },
);

Then(
  "within {int} seconds the order-fulfillment process of order {string} has recorded the packing, and nothing has left yet",
  async function (this: AcceptanceWorld, seconds: number, label: string) {
    const order = this.order(label);
    await eventually(seconds, async () => {
      const book = await this.backend.history(PM_DOMAIN, processRoot(order.workflow));
      const done = eventsOf(book, PrerequisiteCompletedSchema).map((e) => e.event.prerequisite);
      expect(done.includes("fulfillment"), `the packing is not recorded yet (recorded: ${done})`);
      expectEqual(eventsOf(book, DispatchIssuedSchema).length, 0, "dispatches");
    });
    const shipment = await this.backend.history("fulfillment", order.root);
    expectEqual(eventsOf(shipment, ShippedSchema).length, 0, "departures");
    expectEqual(
      eventsOf(await this.backend.history("order", order.root), PaymentSubmittedSchema).length,
      0,
      "payments",
    );
  },
);

Then(
  "once everything has settled, the shipment of order {string} was dispatched and left exactly once",
  async function (this: AcceptanceWorld, label: string) {
    const order = this.order(label);
    await quiet(this, order);
    const process = await this.backend.history(PM_DOMAIN, processRoot(order.workflow));
    expectEqual(eventsOf(process, DispatchIssuedSchema).length, 1, "dispatches");
    const done = eventsOf(process, PrerequisiteCompletedSchema)
      .map((e) => e.event.prerequisite)
      .sort();
    expectEqual(done, ["fulfillment", "inventory", "payment"], "prerequisites recorded");
    expectEqual(eventsOf(process, OrderTrackedSchema).length, 1, "times the order was taken up");
    const shipment = await this.backend.history("fulfillment", order.root);
    expectEqual(eventsOf(shipment, ShippedSchema).length, 1, "departures");
    expectEqual(eventsOf(shipment, ItemsPackedSchema).length, 1, "packings");
  },
);

// Repeated news.

When(
  "order {string} is paid in full by {string} once more",
  async function (this: AcceptanceWorld, label: string, method: string) {
    const order = this.order(label);
    const sequence = await this.nextSequence("order", order.root);
    await this.attempt(() => payInFull(this, order, method, { sequence }));
  },
);

When(
  "the warehouse packs the shipment of order {string} as {string} once more",
  async function (this: AcceptanceWorld, label: string, packer: string) {
    await this.attempt(() => toShipment(this, this.order(label), false, packer));
  },
);

When(
  "the news of the payment and of the packing of order {string} is delivered again",
  async function (this: AcceptanceWorld, label: string) {
    const order = this.order(label);
    await embedded(this).redeliver("order", order.root);
    await embedded(this).redeliver("fulfillment", order.root);
  },
);

// Workflows side by side.

Then(
  "within {int} seconds the order-fulfillment process of order {string} has recorded the payment and the stock, and nothing more",
  async function (this: AcceptanceWorld, seconds: number, label: string) {
    const order = this.order(label);
    await eventually(seconds, async () => {
      const book = await this.backend.history(PM_DOMAIN, processRoot(order.workflow));
      const done = eventsOf(book, PrerequisiteCompletedSchema)
        .map((e) => e.event.prerequisite)
        .sort();
      expectEqual(done, ["inventory", "payment"], `prerequisites recorded for order ${label}`);
    });
    await quiet(this, order);
    const book = await this.backend.history(PM_DOMAIN, processRoot(order.workflow));
    const done = eventsOf(book, PrerequisiteCompletedSchema)
      .map((e) => e.event.prerequisite)
      .sort();
    expectEqual(done, ["inventory", "payment"], `prerequisites recorded for order ${label} once settled`);
    expectEqual(eventsOf(book, DispatchIssuedSchema).length, 0, `dispatches for order ${label}`);
  },
);

Then(
  "the order-fulfillment process of order {string} knows nothing of order {string}",
  async function (this: AcceptanceWorld, label: string, otherLabel: string) {
    const order = this.order(label);
    const other = this.order(otherLabel);
    const book = await this.backend.history(PM_DOMAIN, processRoot(order.workflow));
    expect(book.pages.length > 0, `the order-fulfillment process never heard of order ${label}`);
    for (const e of eventsOf(book, OrderTrackedSchema))
      expectEqual(e.event.orderId, order.id, "order taken up");
    for (const e of eventsOf(book, DispatchIssuedSchema))
      expectEqual(e.event.orderId, order.id, "order dispatched");
    for (const e of eventsOf(book, PrerequisiteCompletedSchema)) {
      const source = e.event.sourceRoot.length === 16 ? Uuid.toText(e.event.sourceRoot) : "";
      expect(source !== other.id, `a prerequisite of order ${label} came from order ${otherLabel}`);
    }
    const mine = new Set(
      (await this.backend.byCorrelation(order.workflow))
        .filter((b) => b.cover?.domain === PM_DOMAIN)
        .flatMap((b) => b.pages.map((p) => p.sequence.value)),
    );
    expectEqual(mine.size, book.pages.length, `events of the process of order ${label} in its own workflow`);
  },
);

// Nothing to do.

When(
  "the payment for order {string} is confirmed with reference {string}, waiting for everything",
  async function (this: AcceptanceWorld, label: string, reference: string) {
    await this.attempt(() =>
      confirmPayment(this, this.order(label), reference, { syncMode: SyncMode.CASCADE }),
    );
    this.lastResponse();
  },
);

When(
  "order {string} is cancelled because {string}, waiting for everything",
  async function (this: AcceptanceWorld, label: string, reason: string) {
    const order = this.order(label);
    await this.attempt(() =>
      sendToOrder(
        order,
        (options) =>
          this.send("order", order.root, CancelOrderSchema, create(CancelOrderSchema, { reason }), options),
        { syncMode: SyncMode.CASCADE },
      ),
    );
    this.lastResponse();
  },
);

Then(
  "the record of {string} holds nothing but the registration",
  async function (this: AcceptanceWorld, email: string) {
    const book = await this.backend.history("customer", this.customer(email).root);
    expectEqual(
      book.pages.map((p) => AnyPayload.nameOf(p.event).replace(/^examples\./, "")),
      ["CustomerCreated"],
      `the record of ${email}`,
    );
  },
);

// Competing writers.

Given(
  "another writer records a delivery of {int} {string} just before the next hold of it is stored",
  function (this: AcceptanceWorld, quantity: number, sku: string) {
    const product = this.product(sku);
    const writer = this.backend.writer;
    if (!writer) throw new Error("the runtime's store cannot be reached");
    const rule = embedded(this).beforeNextAppend(
      (domain, root, events) =>
        domain === "inventory" &&
        Buffer.compare(root, product.root) === 0 &&
        events.some((e) => AnyPayload.is(e, StockReservedSchema)),
      async () =>
        writer.append(
          "inventory",
          product.root,
          [delivery(quantity, (await onHand(this, product)) + quantity)],
          "other",
        ),
    );
    clashes.set(this, rule);
    this.cleanups.push(() => rule.stop());
  },
);

Then(
  "the hold for order {string} first met the other writer's delivery",
  function (this: AcceptanceWorld, _label: string) {
    expectEqual(clashes.get(this)?.fired(), 1, "times the other writer got there first");
  },
);

When(
  "another writer records {int} deliveries of {int} {string} one after another while a walk-in customer orders {int} {string} at {int} cents each as order {string}",
  async function (
    this: AcceptanceWorld,
    count: number,
    quantity: number,
    sku: string,
    ordered: number,
    orderedSku: string,
    price: number,
    label: string,
  ) {
    const product = this.product(sku);
    const writer = this.backend.writer;
    if (!writer) throw new Error("the runtime's store cannot be reached (gateway mode needs ANGZARR_DATA)");
    const start = await onHand(this, product);
    const deliveries = (async () => {
      for (let i = 1; i <= count; i++) {
        await writer.append("inventory", product.root, [delivery(quantity, start + i * quantity)], "other");
        await Bun.sleep(5);
      }
    })();
    const order = this.order(label);
    await placeOrder(this, order, {
      customer: undefined,
      quantity: ordered,
      product: this.product(orderedSku),
      unitPriceCents: price,
    });
    await deliveries;
  },
);

Then(
  "within {int} seconds {int} {string} are held for order {string}",
  async function (this: AcceptanceWorld, seconds: number, quantity: number, sku: string, label: string) {
    const product = this.product(sku);
    const order = this.order(label);
    await eventually(seconds, async () => {
      const book = await this.backend.history("inventory", product.root);
      const holds = eventsOf(book, StockReservedSchema).filter((e) => e.event.orderId === order.id);
      expect(holds.length > 0, `no stock of ${sku} is held for order ${label} yet`);
      expectEqual(
        holds.map((h) => h.event.quantity),
        [quantity],
        `holds of ${sku} for order ${label}`,
      );
    });
  },
);

// Crashed programs.

When(
  /^(\d+) walk-in orders of (\d+) "([^"]+)" arrive as "([^"]+)", and (the program that holds stock|the order-fulfillment program) is killed after the (\d+)(?:st|nd|rd|th)$/,
  async function (
    this: AcceptanceWorld,
    count: string,
    quantity: string,
    sku: string,
    prefix: string,
    words: string,
    after: string,
  ) {
    const product = this.product(sku);
    for (const [i, order] of remember(this, prefix, Number(count)).entries()) {
      await walkIn(this, order, product, Number(quantity));
      if (i + 1 === Number(after)) kill(this, program(words));
    }
  },
);

Given(
  "{int} walk-in orders of {int} {string} as {string}, paid, confirmed and with their shipments opened",
  async function (this: AcceptanceWorld, count: number, quantity: number, sku: string, prefix: string) {
    const product = this.product(sku);
    const orders = remember(this, prefix, count);
    for (const order of orders) {
      await walkIn(this, order, product, quantity);
      await payInFull(this, order, "card");
      await confirmPayment(this, order, `PAY-${order.number}`);
    }
    await eventually(20, async () => {
      for (const order of orders)
        expectEqual((await shipmentsOpened(this, order)).length, 1, `shipments of ${order.number}`);
    });
  },
);

When(
  /^the warehouse picks and packs every "([^"]+)" shipment, and (the program that holds stock|the order-fulfillment program) is killed after the (\d+)(?:st|nd|rd|th)$/,
  async function (this: AcceptanceWorld, prefix: string, words: string, after: string) {
    for (const [i, order] of recall(this, prefix).entries()) {
      await toShipment(this, order, true, "picker");
      await toShipment(this, order, false, "packer");
      if (i + 1 === Number(after)) kill(this, program(words));
    }
  },
);

Then(
  /^within (\d+) seconds (the program that holds stock|the order-fulfillment program) is running again$/,
  async function (this: AcceptanceWorld, seconds: string, words: string) {
    const name = program(words);
    const pid = killed.get(this)?.get(name);
    if (pid === undefined) throw new Error(`${name} was not killed in this scenario`);
    await eventually(Number(seconds), () =>
      expect(programs(this).runningAgain(name, pid), `${name} is not back yet`),
    );
  },
);

Then(
  "within {int} seconds every {string} order has exactly {int} {string} held",
  async function (this: AcceptanceWorld, seconds: number, prefix: string, quantity: number, sku: string) {
    const product = this.product(sku);
    const orders = recall(this, prefix);
    await eventually(seconds, async () => {
      const book = await this.backend.history("inventory", product.root);
      for (const order of orders) {
        const holds = eventsOf(book, StockReservedSchema).filter((e) => e.event.orderId === order.id);
        expectEqual(
          holds.map((h) => h.event.quantity),
          [quantity],
          `holds for order ${order.number}`,
        );
      }
    });
  },
);

Then(
  "within {int} seconds every {string} shipment has left exactly once",
  async function (this: AcceptanceWorld, seconds: number, prefix: string) {
    const orders = recall(this, prefix);
    await eventually(seconds, async () => {
      for (const order of orders) {
        const shipment = await this.backend.history("fulfillment", order.root);
        expectEqual(eventsOf(shipment, ShippedSchema).length, 1, `departures of ${order.number}`);
        const process = await this.backend.history(PM_DOMAIN, processRoot(order.workflow));
        expectEqual(eventsOf(process, DispatchIssuedSchema).length, 1, `dispatches of ${order.number}`);
      }
    });
  },
);
