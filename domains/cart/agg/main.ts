// Program agg-cart: serves the cart aggregate on the socket given by --socket or ANGZARR_SOCKET.
import { aggregateComponent, serve } from "@angzarr/sdk";
import { cartAggregate } from "./aggregate";

serve(aggregateComponent(cartAggregate));
