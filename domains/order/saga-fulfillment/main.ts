// Program saga-order-fulfillment: serves the saga on the socket given by --socket or ANGZARR_SOCKET.
import { sagaComponent, serve } from "@angzarr/sdk";
import { orderFulfillmentSaga } from "./saga";

serve(sagaComponent(orderFulfillmentSaga));
