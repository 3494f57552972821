// Program projector-customer-loyalty: serves the loyalty read model on the socket given by
// --socket or ANGZARR_SOCKET; the SQLite file is PROJECTOR_DB (default projector-customer-loyalty.db).
import { projectorComponent, projectorDbPath, serve } from "@angzarr/sdk";
import { createCustomerLoyaltyProjector, PROGRAM } from "./projector";

serve(() => projectorComponent(createCustomerLoyaltyProjector(projectorDbPath(PROGRAM))));
