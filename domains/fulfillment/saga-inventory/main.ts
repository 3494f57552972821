// Program saga-fulfillment-inventory: serves the saga on the socket given by --socket or ANGZARR_SOCKET.
import { sagaComponent, serve } from "@angzarr/sdk";
import { fulfillmentInventorySaga } from "./saga";

serve(sagaComponent(fulfillmentInventorySaga));
