// Program agg-inventory: serves the inventory aggregate on the socket given by --socket or
// ANGZARR_SOCKET.
import { aggregateComponent, serve } from "@angzarr/sdk";
import { inventoryAggregate } from "./aggregate";

serve(aggregateComponent(inventoryAggregate));
