// Root derivation for the example domains (example-domains.md §1.2). Every root is a UUIDv5
// of a business key; fulfillment reuses the order's root.
import { NAMESPACE_DNS, NAMESPACE_OID, v5Bytes } from "./uuid";

const PREFIX = "angzarr";

export const cartRoot = (customerId: string): Uint8Array =>
  v5Bytes(NAMESPACE_OID, `${PREFIX}cart${customerId}`);
export const customerRoot = (email: string): Uint8Array =>
  v5Bytes(NAMESPACE_OID, `${PREFIX}customer${email}`);
export const productRoot = (sku: string): Uint8Array => v5Bytes(NAMESPACE_OID, `${PREFIX}product${sku}`);
export const orderRoot = (orderNumber: string): Uint8Array =>
  v5Bytes(NAMESPACE_OID, `${PREFIX}order${orderNumber}`);
/** Inventory is keyed by product id in the DNS namespace, with no prefix. */
export const inventoryRoot = (productId: string): Uint8Array => v5Bytes(NAMESPACE_DNS, productId);
/** A shipment shares its order's 16 bytes. */
export const fulfillmentRoot = (orderRootBytes: Uint8Array): Uint8Array => orderRootBytes.slice();
/** The order-fulfillment process manager keys its state by correlation id. */
export const processManagerRoot = (correlationId: string): Uint8Array =>
  v5Bytes(NAMESPACE_OID, correlationId);
