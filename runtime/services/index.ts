// Coordinator-side Connect services and the gateway server that hosts them.
export * from "./aggregate-coordinator";
export * from "./command-gateway";
export * from "./deps";
export * from "./event-query";
export * from "./event-stream";
export * from "./gateway-server";
export * from "./health";
export * from "./speculative-service";
export * from "./wire-errors";
