// The inventory aggregate (example-domains.md §2.5): one per product, root uuidv5(DNS, product_id).
import { InventoryStateSchema } from "@angzarr/proto/examples.ts";
import { defineAggregate } from "@angzarr/sdk";
import { commitReservation } from "./commands/commit-reservation";
import { initializeStock } from "./commands/initialize-stock";
import { receiveStock } from "./commands/receive-stock";
import { releaseReservation } from "./commands/release-reservation";
import { reserveStock } from "./commands/reserve-stock";
import { inventoryAppliers } from "./state";

export const INVENTORY_DOMAIN = "inventory";

export const inventoryAggregate = defineAggregate({
  domain: INVENTORY_DOMAIN,
  state: InventoryStateSchema,
  events: inventoryAppliers,
  commands: [initializeStock, receiveStock, reserveStock, releaseReservation, commitReservation],
});
