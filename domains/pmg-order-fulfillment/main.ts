// Program pmg-order-fulfillment: serves the process manager on the socket given by --socket or
// ANGZARR_SOCKET.
import { processManagerComponent, serve } from "@angzarr/sdk";
import { orderFulfillmentPm } from "./pm";

serve(processManagerComponent(orderFulfillmentPm));
