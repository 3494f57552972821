// Product: the catalogue entry for one SKU, its price, and its retirement.

import {
  CreateProductSchema,
  DiscontinueSchema,
  PriceSetSchema,
  ProductCreatedSchema,
  ProductDiscontinuedSchema,
  ProductUpdatedSchema,
  SetPriceSchema,
  UpdateProductSchema,
} from "@angzarr/proto/examples.ts";
import { create } from "@bufbuild/protobuf";
import { Given, When } from "@cucumber/cucumber";
import type { UnitWorld } from "../../support/unit-world.ts";
import { product } from "./domains.ts";
import { defineStages } from "./vocabulary.ts";

function listed(world: UnitWorld): void {
  world.record(
    product,
    create(ProductCreatedSchema, {
      sku: "SKU-001",
      name: "Widget",
      description: "A handy widget",
      priceCents: 1000,
    }),
  );
}

function repriced(world: UnitWorld, priceCents: number): void {
  const previousPriceCents = product.state(world).priceCents;
  world.record(product, create(PriceSetSchema, { priceCents, previousPriceCents }));
}

defineStages(product, {
  "not listed": () => {},
  listed: (w) => listed(w),
  discontinued: (w) => {
    listed(w);
    w.record(product, create(ProductDiscontinuedSchema, { reason: "replaced by a newer model" }));
  },
});

Given("its price was changed to {int} cents", function (this: UnitWorld, price: number) {
  repriced(this, price);
});

Given(
  "it was renamed to {string} described as {string}",
  function (this: UnitWorld, name: string, description: string) {
    this.record(product, create(ProductUpdatedSchema, { name, description }));
  },
);

When(
  "{string} is listed as {string} described as {string} at {int} cents",
  function (this: UnitWorld, sku: string, name: string, description: string, priceCents: number) {
    this.send(product, create(CreateProductSchema, { sku, name, description, priceCents }));
  },
);

When(
  "the product is renamed to {string} described as {string}",
  function (this: UnitWorld, name: string, description: string) {
    this.send(product, create(UpdateProductSchema, { name, description }));
  },
);

When("its price is changed to {int} cents", function (this: UnitWorld, priceCents: number) {
  this.send(product, create(SetPriceSchema, { priceCents }));
});

When("the product is discontinued because {string}", function (this: UnitWorld, reason: string) {
  this.send(product, create(DiscontinueSchema, { reason }));
});
