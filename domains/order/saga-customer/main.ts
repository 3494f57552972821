// Program saga-order-customer: serves the saga on the socket given by --socket or ANGZARR_SOCKET.
import { sagaComponent, serve } from "@angzarr/sdk";
import { orderCustomerSaga } from "./saga";

serve(sagaComponent(orderCustomerSaga));
