// UUID helpers: 16 raw bytes on the wire, lowercase hyphenated text everywhere else.
import { createHash } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { type UUID as UUIDMessage, UUIDSchema } from "../gen/angzarr/types_pb";

const HEX = /^[0-9a-f]{32}$/;

/** RFC 4122 namespaces used by the example domains. */
export const NAMESPACE_DNS = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
export const NAMESPACE_OID = "6ba7b812-9dad-11d1-80b4-00c04fd430c8";

export class InvalidUuidError extends Error {
  override readonly name: string = "InvalidUuidError";
}

/** Hyphenated lowercase text of 16 bytes. Throws when the length is wrong. */
export function toText(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new InvalidUuidError(`expected 16 bytes, got ${bytes.length}`);
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Parses hyphenated or bare hex text (any case) into 16 bytes. */
export function fromText(text: string): Uint8Array {
  const hex = text.replaceAll("-", "").toLowerCase();
  if (!HEX.test(hex)) throw new InvalidUuidError(`not a UUID: ${JSON.stringify(text)}`);
  return new Uint8Array(Buffer.from(hex, "hex"));
}

/** UUIDv5 (SHA-1, RFC 4122 §4.3) of `name` in `namespace`, as 16 bytes. */
export function v5Bytes(namespace: string | Uint8Array, name: string | Uint8Array): Uint8Array {
  const ns = typeof namespace === "string" ? fromText(namespace) : namespace;
  const hash = createHash("sha1").update(ns).update(name).digest();
  const out = new Uint8Array(hash.buffer, hash.byteOffset, 16).slice();
  out[6] = ((out[6] as number) & 0x0f) | 0x50;
  out[8] = ((out[8] as number) & 0x3f) | 0x80;
  return out;
}

/** UUIDv5 as text. */
export function v5(namespace: string | Uint8Array, name: string | Uint8Array): string {
  return toText(v5Bytes(namespace, name));
}

/** A random (v4) UUID as 16 bytes. */
export function randomBytes(): Uint8Array {
  return fromText(crypto.randomUUID());
}

/** Wraps bytes in the wire message. */
export function message(bytes: Uint8Array): UUIDMessage {
  return create(UUIDSchema, { value: bytes });
}

/** True when the value is exactly 16 bytes. */
export function isValid(bytes: Uint8Array | undefined): bytes is Uint8Array {
  return bytes !== undefined && bytes.length === 16;
}
