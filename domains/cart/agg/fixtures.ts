// Test fixtures for the cart aggregate: prior events carrying consistent facts, and small
// assertions over the SDK test kit's outcomes. Used only by the *.unit.test.ts files here.
import {
  CartCheckedOutSchema,
  CartClearedSchema,
  CartCreatedSchema,
  CouponAppliedSchema,
  ItemAddedSchema,
  ItemRemovedSchema,
  QuantityUpdatedSchema,
} from "@angzarr/proto/examples.ts";
import type { Outcome } from "@angzarr/sdk";
import { create, type DescMessage, isMessage, type MessageShape } from "@bufbuild/protobuf";
import { type Any, AnySchema } from "@bufbuild/protobuf/wkt";

export const CUSTOMER = "CUST-001";

export const cartCreated = (customerId = CUSTOMER) => create(CartCreatedSchema, { customerId });

export const itemAdded = (productId: string, quantity: number, unitPriceCents: number, newSubtotal: number) =>
  create(ItemAddedSchema, { productId, name: `Name of ${productId}`, quantity, unitPriceCents, newSubtotal });

export const quantityUpdated = (
  productId: string,
  oldQuantity: number,
  newQuantity: number,
  newSubtotal: number,
) => create(QuantityUpdatedSchema, { productId, oldQuantity, newQuantity, newSubtotal });

export const itemRemoved = (productId: string, quantity: number, newSubtotal: number) =>
  create(ItemRemovedSchema, { productId, quantity, newSubtotal });

export const couponApplied = (couponCode: string, couponType: string, value: number, discountCents: number) =>
  create(CouponAppliedSchema, { couponCode, couponType, value, discountCents });

export const cartCleared = () => create(CartClearedSchema, { newSubtotal: 0 });

export const checkedOut = (finalSubtotal: number, discountCents: number) =>
  create(CartCheckedOutSchema, { finalSubtotal, discountCents });

/** A payload under a given type name, for unknown-type and malformed-bytes cases. */
export const rawCommand = (typeName: string, bytes: number[]): Any =>
  create(AnySchema, { typeUrl: `type.googleapis.com/${typeName}`, value: new Uint8Array(bytes) });

export const CORRUPT_BYTES = [0xff, 0xfe, 0xfd, 0x00, 0xde, 0xad];

/** The outcome's single event, typed; throws when the command failed or emitted otherwise. */
export function onlyEvent<D extends DescMessage>(outcome: Outcome<unknown>, schema: D): MessageShape<D> {
  if (outcome.error) throw new Error(`command failed: ${outcome.error.rawMessage}`);
  const [event, ...rest] = outcome.events;
  if (rest.length > 0) throw new Error(`expected one event, got ${outcome.events.length}`);
  if (!isMessage(event, schema)) throw new Error(`expected ${schema.typeName}, got ${event?.$typeName}`);
  return event;
}
