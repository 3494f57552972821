// Program agg-customer: serves the customer aggregate on the socket given by --socket or ANGZARR_SOCKET.
import { aggregateComponent, serve } from "@angzarr/sdk";
import { customerAggregate } from "./aggregate";

serve(aggregateComponent(customerAggregate));
