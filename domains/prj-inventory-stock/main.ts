// Program projector-inventory-stock: serves the inventory stock read model on the socket given by
// --socket or ANGZARR_SOCKET; the SQLite file is PROJECTOR_DB (default projector-inventory-stock.db).
import { projectorComponent, projectorDbPath, serve } from "@angzarr/sdk";
import { createInventoryStockProjector, PROGRAM } from "./projector";

serve(() => projectorComponent(createInventoryStockProjector(projectorDbPath(PROGRAM))));
