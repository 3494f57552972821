// Records written by an earlier release of the inventory area (StockInitialized version 1) read
// back in today's shape everywhere: the area itself, history reads, the stock report, and
// speculative questions; the stored record keeps its old shape.
import { AnyPayload, Covers, EventBookSchema, Timestamps } from "@angzarr/proto";
import {
  StockInitializedSchema,
  StockInitializedV1Schema,
  type StockLevel,
  StockLevelSchema,
} from "@angzarr/proto/examples.ts";
import { create } from "@bufbuild/protobuf";
import { Before, Given, Then, When } from "@cucumber/cucumber";
import { type AcceptanceWorld, eventsOf, expect, expectEqual, system } from "./world";

/** What the stock report said it would show, per scenario. */
const levels = new WeakMap<AcceptanceWorld, StockLevel>();

// These scenarios plant old records in the store: they need to reach it.
Before({ tags: "@store" }, () => (system().writer ? undefined : "skipped"));

Given(
  "the product {string} was stocked with {int} units by the first release",
  async function (this: AcceptanceWorld, sku: string, units: number) {
    const product = this.product(sku);
    const v1 = create(StockInitializedV1Schema, {
      productId: product.sku,
      quantity: units,
      initializedAt: Timestamps.now(),
    });
    const writer = this.backend.writer;
    expect(writer !== undefined, "this run cannot reach the store");
    await writer.append(
      "inventory",
      product.root,
      [AnyPayload.pack(StockInitializedV1Schema, v1)],
      this.workflow("first-release"),
    );
  },
);

Then(
  "the history of {string} shows today's stock record: {int} units and no low-stock threshold",
  async function (this: AcceptanceWorld, sku: string, units: number) {
    const product = this.product(sku);
    const book = await this.backend.history("inventory", product.root);
    const initialized = eventsOf(book, StockInitializedSchema);
    expectEqual(initialized.length, 1, "stock records in today's shape");
    expectEqual(
      [
        initialized[0]?.event.productId,
        initialized[0]?.event.quantity,
        initialized[0]?.event.lowStockThreshold,
      ],
      [product.sku, units, 0],
      "the stock record",
    );
    expectEqual(eventsOf(book, StockInitializedV1Schema).length, 0, "records in the old shape");
  },
);

When(
  "the stock report is asked what it would show for {string}",
  async function (this: AcceptanceWorld, sku: string) {
    const product = this.product(sku);
    const projection = await this.backend.speculative.speculateProjector({
      projectorName: "projector-inventory-stock",
      events: create(EventBookSchema, { cover: Covers.make({ domain: "inventory", root: product.root }) }),
    });
    levels.set(this, AnyPayload.unpack(projection.projection, StockLevelSchema));
  },
);

Then(
  "it would show {int} on hand, {int} reserved and {int} available",
  function (this: AcceptanceWorld, onHand: number, reserved: number, available: number) {
    const level = levels.get(this);
    expect(level !== undefined, "nothing was asked");
    expectEqual(
      [level.onHand, level.reserved, level.available],
      [onHand, reserved, available],
      "stock level",
    );
  },
);
