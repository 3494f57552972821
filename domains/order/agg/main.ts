// Program agg-order: serves the order aggregate on the socket given by --socket or ANGZARR_SOCKET.
import { aggregateComponent, serve } from "@angzarr/sdk";
import { orderAggregate } from "./aggregate";

serve(aggregateComponent(orderAggregate));
