// Program agg-inventory: serves the inventory aggregate and the domain's upcaster (old event
// versions read back as current ones) on the socket given by --socket or ANGZARR_SOCKET.
import { aggregateComponent, combine, serve, upcasterComponent } from "@angzarr/sdk";
import { inventoryAggregate } from "./aggregate";
import { inventoryUpcaster } from "./upcaster";

serve(combine(aggregateComponent(inventoryAggregate), upcasterComponent(inventoryUpcaster)));
