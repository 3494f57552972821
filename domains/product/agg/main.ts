// Program agg-product: serves the product aggregate on the socket given by --socket or ANGZARR_SOCKET.
import { aggregateComponent, serve } from "@angzarr/sdk";
import { productAggregate } from "./aggregate";

serve(aggregateComponent(productAggregate));
