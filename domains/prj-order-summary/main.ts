// Program projector-order-summary: serves the order summary read model on the socket given by
// --socket or ANGZARR_SOCKET; the SQLite file is PROJECTOR_DB (default projector-order-summary.db).
import { projectorComponent, projectorDbPath, serve } from "@angzarr/sdk";
import { createOrderSummaryProjector, PROGRAM } from "./projector";

serve(() => projectorComponent(createOrderSummaryProjector(projectorDbPath(PROGRAM))));
