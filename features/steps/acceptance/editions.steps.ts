// What-if editions of the business: created, worked in, listed and thrown away.
import { TemporalQuerySchema } from "@angzarr/proto";
import { StockReservedSchema } from "@angzarr/proto/examples.ts";
import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { Given, Then, When } from "@cucumber/cucumber";
import { readStock } from "../../../domains/prj-inventory-stock/projector";
import { payInFull, placeOrder } from "./domain";
import {
  type AcceptanceWorld,
  describeError,
  eventNames,
  eventsOf,
  eventually,
  expect,
  expectEqual,
} from "./world";

const asOfSequence = (value: number) =>
  create(TemporalQuerySchema, { pointInTime: { case: "asOfSequence", value } });

Given("an edition {string} of the business", async function (this: AcceptanceWorld, label: string) {
  await this.backend.editions.createEdition({ name: this.edition(label) });
});

When(
  "an edition {string} of the business is created, branching after the order's first event",
  async function (this: AcceptanceWorld, label: string) {
    await this.backend.editions.createEdition({
      name: this.edition(label),
      description: "what if the order had been paid",
      divergencePoint: asOfSequence(0),
    });
  },
);

When(
  "an edition {string} of the business is created again",
  async function (this: AcceptanceWorld, label: string) {
    await this.attemptCall(() => this.backend.editions.createEdition({ name: this.edition(label) }));
  },
);

When(
  "order {string} is paid in full by {string} in the edition {string}",
  async function (this: AcceptanceWorld, label: string, method: string, edition: string) {
    await payInFull(this, this.order(label), method, { edition: this.edition(edition) });
  },
);

When(
  "a walk-in customer orders {int} {string} at {int} cents each as order {string} in the edition {string}",
  async function (
    this: AcceptanceWorld,
    quantity: number,
    sku: string,
    price: number,
    label: string,
    edition: string,
  ) {
    const placement = {
      customer: undefined,
      quantity,
      product: this.product(sku),
      unitPriceCents: price,
      edition: this.edition(edition),
    };
    await placeOrder(this, this.order(label), placement);
  },
);

When(
  "order {string} is paid in full by {string} in the never-created edition {string}",
  async function (this: AcceptanceWorld, label: string, method: string, edition: string) {
    await this.attempt(() => payInFull(this, this.order(label), method, { edition: this.edition(edition) }));
  },
);

When("the edition {string} is thrown away", async function (this: AcceptanceWorld, label: string) {
  await this.backend.editions.deleteEdition({ name: this.edition(label) });
});

When("the real business is to be thrown away", async function (this: AcceptanceWorld) {
  await this.attemptCall(() => this.backend.editions.deleteEdition({ name: "" }));
});

Then(
  "in the edition {string} order {string} has the events {string}",
  async function (this: AcceptanceWorld, edition: string, label: string, names: string) {
    const book = await this.backend.history("order", this.order(label).root, this.edition(edition));
    expectEqual(eventNames(book), names.split(", "), `events of order ${label} in ${edition}`);
  },
);

Then(
  "order {string} itself still has only the events {string}",
  async function (this: AcceptanceWorld, label: string, names: string) {
    const book = await this.backend.history("order", this.order(label).root);
    expectEqual(eventNames(book), names.split(", "), `events of order ${label}`);
  },
);

Then(
  "the editions list shows {string} with {int} {string} event(s)",
  async function (this: AcceptanceWorld, label: string, count: number, domain: string) {
    const { editions } = await this.backend.editions.listEditions({});
    const found = editions.find((e) => e.name === this.edition(label));
    expect(found !== undefined, `edition ${label} is not listed`);
    expectEqual(found.eventCounts[domain] ?? 0, count, `${domain} events in edition ${label}`);
  },
);

Then("the editions list no longer shows {string}", async function (this: AcceptanceWorld, label: string) {
  const { editions } = await this.backend.editions.listEditions({});
  expect(!editions.some((e) => e.name === this.edition(label)), `edition ${label} is still listed`);
});

Then(
  "reading order {string} in the edition {string} is refused as not found",
  async function (this: AcceptanceWorld, label: string, edition: string) {
    const outcome = await this.attemptCall(() =>
      this.backend.history("order", this.order(label).root, this.edition(edition)),
    );
    expect(
      !outcome.ok && outcome.error.rawMessage.startsWith("No edition registered"),
      "the read was not refused as unknown",
    );
  },
);

Then(
  "within {int} seconds in the edition {string} {int} {string} are held for order {string}, leaving {int} available",
  async function (
    this: AcceptanceWorld,
    seconds: number,
    edition: string,
    quantity: number,
    sku: string,
    label: string,
    available: number,
  ) {
    const product = this.product(sku);
    const order = this.order(label);
    await eventually(seconds, async () => {
      const book = await this.backend.history("inventory", product.root, this.edition(edition));
      const holds = eventsOf(book, StockReservedSchema).filter((e) => e.event.orderId === order.id);
      expectEqual(
        holds.map((h) => [h.event.quantity, h.event.newAvailable]),
        [[quantity, available]],
        "holds",
      );
    });
  },
);

Then(
  "no stock of {string} is held in the real business",
  async function (this: AcceptanceWorld, sku: string) {
    const book = await this.backend.history("inventory", this.product(sku).root);
    expectEqual(eventsOf(book, StockReservedSchema).length, 0, `holds of ${sku} in the real business`);
  },
);

Then(
  "within {int} seconds the stock report of the edition {string} shows {string} with {int} on hand, {int} reserved and {int} available",
  async function (
    this: AcceptanceWorld,
    seconds: number,
    edition: string,
    sku: string,
    onHand: number,
    reserved: number,
    available: number,
  ) {
    const product = this.product(sku);
    await eventually(seconds, () => {
      const row = this.backend.readModel(
        "projector-inventory-stock",
        (db) => readStock(db, product.root),
        this.edition(edition),
      );
      expect(row !== undefined, `the edition's stock report has no row for ${sku}`);
      expectEqual(
        [row.on_hand, row.reserved, row.available],
        [onHand, reserved, available],
        `stock of ${sku}`,
      );
    });
  },
);

Then(
  "the real stock report shows {string} with {int} on hand, {int} reserved and {int} available",
  function (this: AcceptanceWorld, sku: string, onHand: number, reserved: number, available: number) {
    const product = this.product(sku);
    const row = this.backend.readModel("projector-inventory-stock", (db) => readStock(db, product.root));
    expect(row !== undefined, `the stock report has no row for ${sku}`);
    expectEqual([row.on_hand, row.reserved, row.available], [onHand, reserved, available], `stock of ${sku}`);
  },
);

Then(
  "within {int} seconds the stock report of the edition {string} is gone",
  async function (this: AcceptanceWorld, seconds: number, edition: string) {
    await eventually(seconds, () => {
      const rows = this.backend.readModel(
        "projector-inventory-stock",
        (db) => db.query("SELECT count(*) AS n FROM inventory_stock").get() as { n: number },
        this.edition(edition),
      );
      expect(rows === undefined, "the edition's stock report is still there");
    });
  },
);

Then(
  /^the request is refused as (already existing|unknown), naming the edition "(.*)"$/,
  function (this: AcceptanceWorld, kind: string, label: string) {
    const err = this.lastError();
    const name = this.edition(label);
    const [code, message] =
      kind === "unknown"
        ? [Code.NotFound, `No edition registered with name: ${name}`]
        : [Code.AlreadyExists, `Edition already exists: ${name}`];
    expect(err.code === code && err.rawMessage === message, `expected ${message}, got ${describeError(err)}`);
  },
);
