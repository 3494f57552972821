// Program saga-order-inventory: serves the saga on the socket given by --socket or ANGZARR_SOCKET.
import { sagaComponent, serve } from "@angzarr/sdk";
import { orderInventorySaga } from "./saga";

serve(sagaComponent(orderInventorySaga));
