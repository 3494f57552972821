// What happens to stock: holds for orders, their release or commitment, and the stock report.
import {
  ReservationCommittedSchema,
  ReservationReleasedSchema,
  StockReservedSchema,
} from "@angzarr/proto/examples.ts";
import { Then } from "@cucumber/cucumber";
import { stockReport } from "./domain";
import { type AcceptanceWorld, eventsOf, eventually, expect, expectEqual } from "./world";

async function checkHeld(
  world: AcceptanceWorld,
  quantity: number,
  sku: string,
  label: string,
  available: number,
) {
  const product = world.product(sku);
  const order = world.order(label);
  const book = await world.backend.history("inventory", product.root);
  const holds = eventsOf(book, StockReservedSchema).filter((e) => e.event.orderId === order.id);
  expect(holds.length > 0, `no stock of ${sku} is held for order ${label} yet`);
  expect(holds.length === 1, `stock of ${sku} is held ${holds.length} times for order ${label}`);
  expectEqual(holds[0]?.event.quantity, quantity, `quantity of ${sku} held for order ${label}`);
  expectEqual(holds[0]?.event.newAvailable, available, `${sku} available after the hold`);
}

Then(
  "within {int} seconds {int} {string} are held for order {string}, leaving {int} available",
  async function (
    this: AcceptanceWorld,
    seconds: number,
    quantity: number,
    sku: string,
    label: string,
    available: number,
  ) {
    await eventually(seconds, () => checkHeld(this, quantity, sku, label, available));
  },
);

Then(
  "{int} {string} are already held for order {string}, leaving {int} available",
  async function (this: AcceptanceWorld, quantity: number, sku: string, label: string, available: number) {
    await checkHeld(this, quantity, sku, label, available);
  },
);

Then(
  "within {int} seconds the stock held for order {string} leaves {string} with {int} on hand and {int} reserved",
  async function (
    this: AcceptanceWorld,
    seconds: number,
    label: string,
    sku: string,
    onHand: number,
    reserved: number,
  ) {
    const order = this.order(label);
    const product = this.product(sku);
    await eventually(seconds, async () => {
      const book = await this.backend.history("inventory", product.root);
      const commits = eventsOf(book, ReservationCommittedSchema).filter((e) => e.event.orderId === order.id);
      expect(commits.length > 0, `the stock held for order ${label} has not left ${sku} yet`);
      expect(commits.length === 1, `the stock held for order ${label} left ${commits.length} times`);
      expectEqual(
        [commits[0]?.event.newOnHand, commits[0]?.event.newReserved],
        [onHand, reserved],
        `${sku} on hand and reserved after the stock left`,
      );
    });
  },
);

Then(
  "within {int} seconds the stock held for order {string} goes back to {string}, leaving {int} available",
  async function (this: AcceptanceWorld, seconds: number, label: string, sku: string, available: number) {
    const order = this.order(label);
    const product = this.product(sku);
    await eventually(seconds, async () => {
      const book = await this.backend.history("inventory", product.root);
      const releases = eventsOf(book, ReservationReleasedSchema).filter((e) => e.event.orderId === order.id);
      expect(releases.length > 0, `the stock held for order ${label} has not gone back yet`);
      expect(releases.length === 1, `the stock held for order ${label} went back ${releases.length} times`);
      expectEqual(releases[0]?.event.newAvailable, available, `${sku} available after the release`);
    });
  },
);

function checkReport(
  world: AcceptanceWorld,
  sku: string,
  onHand: number,
  reserved: number,
  available: number,
) {
  const row = stockReport(world, world.product(sku));
  expectEqual(
    { onHand: row.on_hand, reserved: row.reserved, available: row.available },
    { onHand, reserved, available },
    `stock report for ${sku}`,
  );
}

Then(
  "within {int} seconds the stock report shows {string} with {int} on hand, {int} reserved and {int} available",
  async function (
    this: AcceptanceWorld,
    seconds: number,
    sku: string,
    onHand: number,
    reserved: number,
    available: number,
  ) {
    await eventually(seconds, () => checkReport(this, sku, onHand, reserved, available));
  },
);

Then(
  "the stock report already shows {string} with {int} on hand, {int} reserved and {int} available",
  function (this: AcceptanceWorld, sku: string, onHand: number, reserved: number, available: number) {
    checkReport(this, sku, onHand, reserved, available);
  },
);
