// Test fixtures for the customer aggregate: prior events carrying consistent facts, and small
// assertions over the SDK test kit's outcomes. Used only by the *.unit.test.ts files here.
import {
  CustomerCreatedSchema,
  LoyaltyPointsAddedSchema,
  LoyaltyPointsRedeemedSchema,
} from "@angzarr/proto/examples.ts";
import type { Outcome } from "@angzarr/sdk";
import { create, type DescMessage, isMessage, type MessageShape } from "@bufbuild/protobuf";
import { type Any, AnySchema } from "@bufbuild/protobuf/wkt";

export const NAME = "Alice";
export const EMAIL = "alice@example.com";

export const customerCreated = (name = NAME, email = EMAIL) => create(CustomerCreatedSchema, { name, email });

export const pointsAdded = (points: number, newBalance: number, reference = "", reason = "Bonus") =>
  create(LoyaltyPointsAddedSchema, { points, newBalance, reason, reference });

export const pointsRedeemed = (points: number, newBalance: number, redemptionType = "discount") =>
  create(LoyaltyPointsRedeemedSchema, { points, newBalance, redemptionType });

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
