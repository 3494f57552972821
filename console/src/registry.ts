// Decoding of packed payloads for display: every message the console knows (the angzarr
// contract, its extensions and the example domains) in one type registry, so `Any` fields decode
// to JSON all the way down. Unknown types are shown as their name and size.
import { file_angzarr_ext_dead_letter } from "@angzarr/proto/gen/angzarr/ext/dead_letter_pb.ts";
import { file_angzarr_process_manager } from "@angzarr/proto/gen/angzarr/process_manager_pb.ts";
import { file_angzarr_types } from "@angzarr/proto/gen/angzarr/types_pb.ts";
import { file_examples_cart } from "@angzarr/proto/gen/examples/cart_pb.ts";
import { file_examples_customer } from "@angzarr/proto/gen/examples/customer_pb.ts";
import { file_examples_fulfillment } from "@angzarr/proto/gen/examples/fulfillment_pb.ts";
import { file_examples_inventory } from "@angzarr/proto/gen/examples/inventory_pb.ts";
import { file_examples_order_fulfillment } from "@angzarr/proto/gen/examples/order_fulfillment_pb.ts";
import { file_examples_order } from "@angzarr/proto/gen/examples/order_pb.ts";
import { file_examples_product } from "@angzarr/proto/gen/examples/product_pb.ts";
import { file_examples_projections } from "@angzarr/proto/gen/examples/projections_pb.ts";
import {
  createRegistry,
  type DescMessage,
  fromBinary,
  type JsonValue,
  type Message,
  toJson,
} from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import { file_google_protobuf_wrappers } from "@bufbuild/protobuf/wkt";

export const registry = createRegistry(
  file_angzarr_types,
  file_angzarr_process_manager,
  file_angzarr_ext_dead_letter,
  file_google_protobuf_wrappers,
  file_examples_cart,
  file_examples_customer,
  file_examples_fulfillment,
  file_examples_inventory,
  file_examples_order,
  file_examples_order_fulfillment,
  file_examples_product,
  file_examples_projections,
);

/** The full message name inside a type URL (any prefix). */
export function typeName(any: Any | undefined): string {
  if (!any) return "";
  const slash = any.typeUrl.lastIndexOf("/");
  return slash < 0 ? any.typeUrl : any.typeUrl.slice(slash + 1);
}

/** The name without its package (`examples.OrderCreated` → `OrderCreated`). */
export function shortName(name: string): string {
  return name.slice(name.lastIndexOf(".") + 1);
}

/** Lowercase hyphenated text of 16 bytes. */
export function uuidText(bytes: Uint8Array | undefined): string {
  if (bytes?.length !== 16) return "";
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function uuidBytes(text: string): Uint8Array | undefined {
  const hex = text.replace(/-/g, "").toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) return undefined;
  return Uint8Array.from(hex.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
}

/** Base64 of 16 bytes under a key naming a root or id: shown as UUID text instead. */
function readable(value: JsonValue, key = ""): JsonValue {
  if (Array.isArray(value)) return value.map((v) => readable(v, key));
  if (value !== null && typeof value === "object") {
    const out: { [k: string]: JsonValue } = {};
    for (const [k, v] of Object.entries(value)) out[k] = readable(v, k);
    return out;
  }
  if (
    typeof value === "string" &&
    value.length === 24 &&
    value.endsWith("==") &&
    /root|uuid|value/i.test(key)
  ) {
    try {
      const bytes = Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
      if (bytes.length === 16) return uuidText(bytes);
    } catch {
      // not base64 after all
    }
  }
  return value;
}

/** A message as JSON (roots as UUID text). */
export function messageJson(schema: DescMessage, message: Message): JsonValue {
  return readable(toJson(schema, message, { registry }));
}

/** A packed payload as JSON, or a note when its type is unknown or its bytes do not decode. */
export function decodeAny(any: Any | undefined): { type: string; json: JsonValue } {
  const type = typeName(any);
  if (!any) return { type: "", json: null };
  const schema = registry.getMessage(type);
  if (!schema) return { type, json: { unknownType: type, bytes: any.value.length } };
  try {
    return { type, json: readable(toJson(schema, fromBinary(schema, any.value), { registry })) };
  } catch (err) {
    return { type, json: { undecodable: (err as Error).message } };
  }
}
