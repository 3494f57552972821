// Program projector-customer-loyalty: serves the loyalty read model on the socket given by
// --socket or ANGZARR_SOCKET; the SQLite file is PROJECTOR_DB (default projector-customer-loyalty.db).
import { projectorComponent, serve } from "@angzarr/sdk";
import { createCustomerLoyaltyProjector, PROGRAM } from "./projector";

serve(() => projectorComponent(createCustomerLoyaltyProjector(process.env.PROJECTOR_DB ?? `${PROGRAM}.db`)));
