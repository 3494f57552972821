// How each product event applies to ProductState. Events carry facts, so applying assigns.
import {
  type PriceSet,
  PriceSetSchema,
  type ProductCreated,
  ProductCreatedSchema,
  type ProductDiscontinued,
  ProductDiscontinuedSchema,
  type ProductState,
  type ProductUpdated,
  ProductUpdatedSchema,
} from "@angzarr/proto/examples.ts";
import { on } from "@angzarr/sdk";

export const STATUS_ACTIVE = "active";
export const STATUS_DISCONTINUED = "discontinued";

/** A product exists once created with a SKU. */
export const exists = (state: ProductState): boolean => state.sku !== "";

export const isDiscontinued = (state: ProductState): boolean => state.status === STATUS_DISCONTINUED;

export function applyProductCreated(state: ProductState, event: ProductCreated): void {
  state.sku = event.sku;
  state.name = event.name;
  state.description = event.description;
  state.priceCents = event.priceCents;
  state.status = STATUS_ACTIVE;
}

export function applyProductUpdated(state: ProductState, event: ProductUpdated): void {
  state.name = event.name;
  state.description = event.description;
}

export function applyPriceSet(state: ProductState, event: PriceSet): void {
  state.priceCents = event.priceCents;
}

export function applyProductDiscontinued(state: ProductState, _event: ProductDiscontinued): void {
  state.status = STATUS_DISCONTINUED;
}

export const productEvents = [
  on(ProductCreatedSchema, applyProductCreated),
  on(ProductUpdatedSchema, applyProductUpdated),
  on(PriceSetSchema, applyPriceSet),
  on(ProductDiscontinuedSchema, applyProductDiscontinued),
];
