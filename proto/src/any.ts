// Packing and unpacking of domain payloads in google.protobuf.Any, tolerant of any prefix.
import { create, type DescMessage, fromBinary, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { type Any, AnySchema } from "@bufbuild/protobuf/wkt";
import { forName, fullName } from "./type-url";

/** Packs a message with the `type.googleapis.com/` prefix. */
export function pack<D extends DescMessage>(schema: D, message: MessageShape<D>): Any {
  return create(AnySchema, { typeUrl: forName(schema.typeName), value: toBinary(schema, message) });
}

/** True when the Any holds `schema`, whatever its prefix. */
export function is(any: Any | undefined, schema: DescMessage): boolean {
  return any !== undefined && fullName(any.typeUrl) === schema.typeName;
}

/** The full message name inside an Any ("" when absent). */
export function nameOf(any: Any | undefined): string {
  return any === undefined ? "" : fullName(any.typeUrl);
}

export class UnpackError extends Error {
  override readonly name: string = "UnpackError";
}

/**
 * Decodes the payload as `schema`. Throws UnpackError when the type does not match or the bytes
 * do not decode; the message starts `failed to decode` as the error table asks.
 */
export function unpack<D extends DescMessage>(any: Any | undefined, schema: D): MessageShape<D> {
  if (any === undefined) throw new UnpackError(`failed to decode ${schema.typeName}: no payload`);
  if (fullName(any.typeUrl) !== schema.typeName) {
    throw new UnpackError(`failed to decode ${schema.typeName}: payload is ${fullName(any.typeUrl)}`);
  }
  try {
    return fromBinary(schema, any.value);
  } catch (err) {
    throw new UnpackError(`failed to decode ${schema.typeName}: ${(err as Error).message}`);
  }
}
