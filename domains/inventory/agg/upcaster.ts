// The inventory domain's upcaster: the first release stored StockInitialized without a low-stock
// threshold and with the time at field 3 (examples.StockInitializedV1). Read back, such a page is
// a current StockInitialized with threshold 0 (no alerts), the same product, quantity and time.
import { StockInitializedSchema, StockInitializedV1Schema } from "@angzarr/proto/examples.ts";
import { defineUpcaster, upcast } from "@angzarr/sdk";
import { create } from "@bufbuild/protobuf";
import { INVENTORY_DOMAIN } from "./aggregate";

export const inventoryUpcaster = defineUpcaster({
  domain: INVENTORY_DOMAIN,
  rules: [
    upcast(StockInitializedV1Schema, StockInitializedSchema, (v1) =>
      create(StockInitializedSchema, {
        productId: v1.productId,
        quantity: v1.quantity,
        lowStockThreshold: 0,
        ...(v1.initializedAt ? { initializedAt: v1.initializedAt } : {}),
      }),
    ),
  ],
});
