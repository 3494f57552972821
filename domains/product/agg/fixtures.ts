// Test fixtures for the product aggregate: prior events carrying consistent facts, and small
// assertions over the SDK test kit's outcomes. Used only by the *.unit.test.ts files here.
import {
  PriceSetSchema,
  ProductCreatedSchema,
  ProductDiscontinuedSchema,
  ProductUpdatedSchema,
} from "@angzarr/proto/examples.ts";
import type { Outcome } from "@angzarr/sdk";
import { create, type DescMessage, isMessage, type MessageShape } from "@bufbuild/protobuf";
import { type Any, AnySchema } from "@bufbuild/protobuf/wkt";

export const SKU = "SKU-001";

export const productCreated = (priceCents = 1000, name = "Widget", description = "A widget") =>
  create(ProductCreatedSchema, { sku: SKU, name, description, priceCents });

export const productUpdated = (name: string, description: string) =>
  create(ProductUpdatedSchema, { name, description });

export const priceSet = (priceCents: number, previousPriceCents: number) =>
  create(PriceSetSchema, { priceCents, previousPriceCents });

export const discontinued = (reason = "End of line") => create(ProductDiscontinuedSchema, { reason });

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
