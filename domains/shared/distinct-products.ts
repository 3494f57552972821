// Distinct products of a list of order lines (example-domains §3): lines grouped by product_id,
// quantities summed, in the order each product first appears. Lines without a product id are
// left out (the order aggregate never accepts them).
import type { LineItem } from "@angzarr/proto/examples.ts";

export interface ProductQuantity {
  productId: string;
  quantity: number;
}

export function distinctProducts(items: readonly LineItem[]): ProductQuantity[] {
  const byProduct = new Map<string, ProductQuantity>();
  for (const item of items) {
    if (item.productId === "") continue;
    const seen = byProduct.get(item.productId);
    if (seen) seen.quantity += item.quantity;
    else byProduct.set(item.productId, { productId: item.productId, quantity: item.quantity });
  }
  return [...byProduct.values()];
}
