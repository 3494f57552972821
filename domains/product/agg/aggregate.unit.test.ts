// Product behaviours (example-domains.md §6.4) through the SDK test kit.
import { describe, expect, test } from "bun:test";
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
import { Code, expectRejection, spec } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";
import { productAggregate } from "./aggregate";
import { discontinued, onlyEvent, priceSet, productCreated, productUpdated, SKU } from "./fixtures";

const created = productCreated(1000);
const product = () => spec(productAggregate);
const createProduct = (fields: { sku?: string; name?: string; description?: string; priceCents?: number }) =>
  create(CreateProductSchema, {
    sku: SKU,
    name: "Widget",
    description: "A widget",
    priceCents: 1000,
    ...fields,
  });

describe("creating a product", () => {
  test("records SKU, name, description and price; active", () => {
    const outcome = product().when(createProduct({}));
    const event = onlyEvent(outcome, ProductCreatedSchema);
    expect(event).toMatchObject({ sku: SKU, name: "Widget", description: "A widget", priceCents: 1000 });
    expect(event.createdAt).toBeDefined();
    expect(outcome.sequences).toEqual([0]);
    expect(outcome.state).toMatchObject({
      sku: SKU,
      name: "Widget",
      description: "A widget",
      priceCents: 1000,
      status: "active",
    });
  });

  test("an empty description is allowed", () => {
    expect(
      onlyEvent(product().when(createProduct({ description: "" })), ProductCreatedSchema).description,
    ).toBe("");
  });

  test("twice fails already exists", () => {
    expectRejection(
      product().given(created).when(createProduct({})),
      Code.FailedPrecondition,
      "already exists",
    );
  });

  test("a missing SKU or name, or a zero or negative price, fails INVALID_ARGUMENT naming the field", () => {
    expectRejection(product().when(createProduct({ sku: "" })), Code.InvalidArgument, "SKU");
    expectRejection(product().when(createProduct({ name: "" })), Code.InvalidArgument, "name");
    expectRejection(product().when(createProduct({ priceCents: 0 })), Code.InvalidArgument, "price");
    expectRejection(product().when(createProduct({ priceCents: -5 })), Code.InvalidArgument, "price");
  });
});

describe("updating a product", () => {
  test("changes name and description", () => {
    const outcome = product()
      .given(created)
      .when(create(UpdateProductSchema, { name: "Widget Pro", description: "Better" }));
    const event = onlyEvent(outcome, ProductUpdatedSchema);
    expect(event).toMatchObject({ name: "Widget Pro", description: "Better" });
    expect(event.updatedAt).toBeDefined();
    expect(outcome.state).toMatchObject({ name: "Widget Pro", description: "Better", priceCents: 1000 });
  });

  test("fails does not exist when missing and discontinued when discontinued", () => {
    const update = create(UpdateProductSchema, { name: "X" });
    expectRejection(product().when(update), Code.FailedPrecondition, "does not exist");
    expectRejection(
      product().given(created, discontinued()).when(update),
      Code.FailedPrecondition,
      "discontinued",
    );
  });
});

describe("setting a price", () => {
  test("reports the new and previous price (1000 → 1500)", () => {
    const outcome = product()
      .given(created)
      .when(create(SetPriceSchema, { priceCents: 1500 }));
    const event = onlyEvent(outcome, PriceSetSchema);
    expect(event).toMatchObject({ priceCents: 1500, previousPriceCents: 1000 });
    expect(event.setAt).toBeDefined();
    expect(outcome.state.priceCents).toBe(1500);
  });

  test("the previous price is the current one after earlier changes", () => {
    const outcome = product()
      .given(created, priceSet(1500, 1000))
      .when(create(SetPriceSchema, { priceCents: 1200 }));
    expect(onlyEvent(outcome, PriceSetSchema)).toMatchObject({ priceCents: 1200, previousPriceCents: 1500 });
  });

  test("fails when missing, when discontinued, and for a negative price", () => {
    const price = create(SetPriceSchema, { priceCents: 1500 });
    expectRejection(product().when(price), Code.FailedPrecondition, "does not exist");
    expectRejection(
      product().given(created, discontinued()).when(price),
      Code.FailedPrecondition,
      "discontinued",
    );
    expectRejection(
      product()
        .given(created)
        .when(create(SetPriceSchema, { priceCents: -1 })),
      Code.InvalidArgument,
      "price",
    );
  });
});

describe("discontinuing", () => {
  test("records the reason and sets the status", () => {
    const outcome = product()
      .given(created)
      .when(create(DiscontinueSchema, { reason: "Recalled" }));
    const event = onlyEvent(outcome, ProductDiscontinuedSchema);
    expect(event.reason).toBe("Recalled");
    expect(event.discontinuedAt).toBeDefined();
    expect(outcome.state.status).toBe("discontinued");
  });

  test("a second discontinue fails already discontinued; a missing product fails does not exist", () => {
    const stop = create(DiscontinueSchema, { reason: "Recalled" });
    expectRejection(
      product().given(created, discontinued()).when(stop),
      Code.FailedPrecondition,
      "already discontinued",
    );
    expectRejection(product().when(stop), Code.FailedPrecondition, "does not exist");
  });
});

describe("rebuild", () => {
  test("creation with a price change", () => {
    expect(product().given(created, priceSet(1500, 1000)).state()).toMatchObject({
      sku: SKU,
      priceCents: 1500,
      status: "active",
    });
  });

  test("discontinuation", () => {
    expect(product().given(created, discontinued()).state()).toMatchObject({
      status: "discontinued",
      priceCents: 1000,
    });
  });

  test("an update of name and description", () => {
    expect(product().given(created, productUpdated("Gizmo", "Shiny")).state()).toMatchObject({
      sku: SKU,
      name: "Gizmo",
      description: "Shiny",
      priceCents: 1000,
    });
  });
});
