export * from "./filter";
export * from "./memory/memory-bus";
export * from "./types";
