// Behaviour on angzarr.CommandBook: correlation-id derivation and construction.
import { create, toBinary } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import { type CommandBook, CommandBookSchema, CommandPageSchema, type Cover } from "../gen/angzarr/types_pb";
import { NAMESPACE_DNS, v5, v5Bytes } from "./uuid";

/** Namespace of derived correlation ids: UUIDv5(DNS, "angzarr.dev"). */
export const CORRELATION_NAMESPACE: Uint8Array = v5Bytes(NAMESPACE_DNS, "angzarr.dev");

/**
 * The correlation id for a client command that arrived without one: UUIDv5 over the canonical
 * protobuf encoding of the received book, so identical commands get identical ids in every
 * language that encodes canonically (wire-contract §3.5, §3.7). Unknown fields retained by the
 * decoder are left out, as the reference's decoder drops them before re-encoding.
 */
export function deriveCorrelationId(book: CommandBook): string {
  return v5(CORRELATION_NAMESPACE, toBinary(CommandBookSchema, book, { writeUnknownFields: false }));
}

/** A one-page command book. */
export function make(cover: Cover, command: Any, sequence = 0): CommandBook {
  return create(CommandBookSchema, {
    cover,
    pages: [create(CommandPageSchema, { sequence, command })],
  });
}
