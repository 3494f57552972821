// Inventory: one product's stock on hand, the part of it held for orders, and low-stock alerts.

import {
  CommitReservationSchema,
  InitializeStockSchema,
  type InventoryState,
  ReceiveStockSchema,
  ReleaseReservationSchema,
  ReservationCommittedSchema,
  ReservationReleasedSchema,
  ReserveStockSchema,
  StockInitializedSchema,
  StockReceivedSchema,
  StockReservedSchema,
} from "@angzarr/proto/examples.ts";
import { create } from "@bufbuild/protobuf";
import { Given, When } from "@cucumber/cucumber";
import type { UnitWorld } from "../../support/unit-world.ts";
import { inventory } from "./domains.ts";
import { defineStages } from "./vocabulary.ts";

const available = (s: InventoryState): number => s.onHand - s.reserved;

function heldFor(s: InventoryState, orderId: string): number {
  const quantity = s.reservations[orderId];
  if (quantity === undefined) throw new Error(`no stock is held for ${orderId}`);
  return quantity;
}

// ---- prior events with consistent facts ----------------------------------------------------

function initialised(world: UnitWorld, productId: string, quantity: number, lowStockThreshold: number): void {
  world.record(inventory, create(StockInitializedSchema, { productId, quantity, lowStockThreshold }));
}

function received(world: UnitWorld, quantity: number): void {
  const newOnHand = inventory.state(world).onHand + quantity;
  world.record(inventory, create(StockReceivedSchema, { quantity, newOnHand, reference: "delivery" }));
}

function reserved(world: UnitWorld, quantity: number, orderId: string): void {
  const s = inventory.state(world);
  world.record(
    inventory,
    create(StockReservedSchema, {
      quantity,
      orderId,
      newAvailable: available(s) - quantity,
      newReserved: s.reserved + quantity,
      newOnHand: s.onHand,
    }),
  );
}

function released(world: UnitWorld, orderId: string): void {
  const s = inventory.state(world);
  const quantity = heldFor(s, orderId);
  world.record(
    inventory,
    create(ReservationReleasedSchema, {
      orderId,
      quantity,
      newAvailable: available(s) + quantity,
      newReserved: s.reserved - quantity,
      newOnHand: s.onHand,
    }),
  );
}

function committed(world: UnitWorld, orderId: string): void {
  const s = inventory.state(world);
  const quantity = heldFor(s, orderId);
  world.record(
    inventory,
    create(ReservationCommittedSchema, {
      orderId,
      quantity,
      newOnHand: s.onHand - quantity,
      newReserved: s.reserved - quantity,
    }),
  );
}

defineStages(inventory, {
  "not initialised": () => {},
  stocked: (w) => initialised(w, "SKU-001", 100, 0),
  "holding stock for order-A": (w) => {
    initialised(w, "SKU-001", 100, 0);
    reserved(w, 20, "order-A");
  },
});

Given(
  "stock of {string} was initialised with {int} units and a low-stock threshold of {int}",
  function (this: UnitWorld, productId: string, quantity: number, threshold: number) {
    initialised(this, productId, quantity, threshold);
  },
);

Given("{int} units were received", function (this: UnitWorld, quantity: number) {
  received(this, quantity);
});

Given(
  "{int} units were reserved for {string}",
  function (this: UnitWorld, quantity: number, orderId: string) {
    reserved(this, quantity, orderId);
  },
);

Given("the stock held for {string} was released", function (this: UnitWorld, orderId: string) {
  released(this, orderId);
});

Given("the stock held for {string} was shipped", function (this: UnitWorld, orderId: string) {
  committed(this, orderId);
});

// ---- commands ------------------------------------------------------------------------------

When(
  "stock of {string} is initialised with {int} units and a low-stock threshold of {int}",
  function (this: UnitWorld, productId: string, quantity: number, lowStockThreshold: number) {
    this.send(inventory, create(InitializeStockSchema, { productId, quantity, lowStockThreshold }));
  },
);

When(
  "{int} units are received with reference {string}",
  function (this: UnitWorld, quantity: number, reference: string) {
    this.send(inventory, create(ReceiveStockSchema, { quantity, reference }));
  },
);

When("{int} units are reserved for {string}", function (this: UnitWorld, quantity: number, orderId: string) {
  this.send(inventory, create(ReserveStockSchema, { quantity, orderId }));
});

When("the stock held for {string} is released", function (this: UnitWorld, orderId: string) {
  this.send(inventory, create(ReleaseReservationSchema, { orderId }));
});

When("the stock held for {string} is committed to shipping", function (this: UnitWorld, orderId: string) {
  this.send(inventory, create(CommitReservationSchema, { orderId }));
});
