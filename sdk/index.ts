// Public face of the handler SDK used by every domain program.
export * from "./src/aggregate";
export * from "./src/components";
export * from "./src/errors";
export * from "./src/health";
export * from "./src/health-probe";
export * from "./src/process-manager";
export * from "./src/projector";
export * from "./src/rpc/client";
export * from "./src/rpc/protocol";
export * from "./src/rpc/router";
export * from "./src/saga";
export * from "./src/serve";
export * from "./src/sqlite-projection";
export * from "./src/sqlite-projector";
export * from "./src/testing";
export * from "./src/upcaster";
