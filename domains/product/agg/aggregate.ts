// The product aggregate (example-domains.md §2.3). Each command handler is pure and runs
// guard (state) → validate (input) → compute (events of facts).
import {
  type CreateProduct,
  CreateProductSchema,
  type Discontinue,
  DiscontinueSchema,
  PriceSetSchema,
  ProductCreatedSchema,
  ProductDiscontinuedSchema,
  type ProductState,
  ProductStateSchema,
  ProductUpdatedSchema,
  type SetPrice,
  SetPriceSchema,
  type UpdateProduct,
  UpdateProductSchema,
} from "@angzarr/proto/examples.ts";
import { type CommandContext, defineAggregate, guard, handle, validate } from "@angzarr/sdk";
import { create, type Message } from "@bufbuild/protobuf";
import {
  PRICE_MUST_BE_POSITIVE,
  PRODUCT_ALREADY_DISCONTINUED,
  PRODUCT_ALREADY_EXISTS,
  PRODUCT_DOES_NOT_EXIST,
  PRODUCT_IS_DISCONTINUED,
  PRODUCT_NAME_REQUIRED,
  PRODUCT_SKU_REQUIRED,
} from "./messages";
import { exists, isDiscontinued, productEvents } from "./state";

/** Guard shared by the commands that change an active product. */
function guardActiveProduct(state: ProductState): void {
  guard(exists(state), PRODUCT_DOES_NOT_EXIST);
  guard(!isDiscontinued(state), PRODUCT_IS_DISCONTINUED);
}

function createProduct(command: CreateProduct, state: ProductState, ctx: CommandContext): Message[] {
  guard(!exists(state), PRODUCT_ALREADY_EXISTS);
  validate(command.sku !== "", PRODUCT_SKU_REQUIRED);
  validate(command.name !== "", PRODUCT_NAME_REQUIRED);
  validate(command.priceCents > 0, PRICE_MUST_BE_POSITIVE);
  return [
    create(ProductCreatedSchema, {
      sku: command.sku,
      name: command.name,
      description: command.description,
      priceCents: command.priceCents,
      createdAt: ctx.now,
    }),
  ];
}

function updateProduct(command: UpdateProduct, state: ProductState, ctx: CommandContext): Message[] {
  guardActiveProduct(state);
  validate(command.name !== "", PRODUCT_NAME_REQUIRED);
  return [
    create(ProductUpdatedSchema, {
      name: command.name,
      description: command.description,
      updatedAt: ctx.now,
    }),
  ];
}

function setPrice(command: SetPrice, state: ProductState, ctx: CommandContext): Message[] {
  guardActiveProduct(state);
  validate(command.priceCents > 0, PRICE_MUST_BE_POSITIVE);
  return [
    create(PriceSetSchema, {
      priceCents: command.priceCents,
      previousPriceCents: state.priceCents,
      setAt: ctx.now,
    }),
  ];
}

function discontinue(command: Discontinue, state: ProductState, ctx: CommandContext): Message[] {
  guard(exists(state), PRODUCT_DOES_NOT_EXIST);
  guard(!isDiscontinued(state), PRODUCT_ALREADY_DISCONTINUED);
  return [create(ProductDiscontinuedSchema, { reason: command.reason, discontinuedAt: ctx.now })];
}

export const productAggregate = defineAggregate({
  domain: "product",
  state: ProductStateSchema,
  events: productEvents,
  commands: [
    handle(CreateProductSchema, createProduct),
    handle(UpdateProductSchema, updateProduct),
    handle(SetPriceSchema, setPrice),
    handle(DiscontinueSchema, discontinue),
  ],
});
