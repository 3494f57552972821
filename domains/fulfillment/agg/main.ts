// Program agg-fulfillment: serves the fulfillment aggregate on the socket given by --socket or
// ANGZARR_SOCKET.
import { aggregateComponent, serve } from "@angzarr/sdk";
import { fulfillmentAggregate } from "./aggregate";

serve(aggregateComponent(fulfillmentAggregate));
